"""The staff workspace (issue #12 item 3): /queue, /find, /history, claiming and assigning
cases, internal notes, canned replies — over every kind of case (requests and tickets)."""
