"""The email service: a confirmation mail per order event, sent over SMTP."""
