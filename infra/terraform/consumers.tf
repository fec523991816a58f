# The topology's per-consumer values: the HCL copy of the declaration in code
# (consumers/catalog.py, read through fanout.topology.declared_topology()).
# tests/infra/test_parity.py fails when a consumer, filter policy, maxReceiveCount, visibility
# timeout, retention or delay differs between the two, so change both sides together.
locals {
  topic       = "orders"
  fifo_suffix = var.fifo ? ".fifo" : ""

  consumers = {
    email = {
      filter_policy        = { event_type = ["order.cancelled", "order.placed", "order.shipped"] }
      max_receive_count    = 5
      visibility_timeout_s = 60
      retention_s          = 345600  # 4 days
      dlq_retention_s      = 1209600 # 14 days
      receive_wait_s       = 20
      delay_s              = 0
    }
    inventory = {
      filter_policy        = { event_type = ["order.cancelled", "order.placed"] }
      max_receive_count    = 8
      visibility_timeout_s = 30
      retention_s          = 345600
      dlq_retention_s      = 1209600
      receive_wait_s       = 20
      delay_s              = 0
    }
    analytics = {
      filter_policy        = { event_type = ["order.cancelled", "order.placed", "order.shipped"] }
      max_receive_count    = 3
      visibility_timeout_s = 120
      retention_s          = 604800 # 7 days
      dlq_retention_s      = 1209600
      receive_wait_s       = 20
      delay_s              = 0
    }
  }
}
