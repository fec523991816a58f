"""`fanout dashboard`: the on-call web page and the JSON API behind it (reads monitor/ and consumers/)."""
