"""The site's side of the link to the province server: the event log read as an outbox and sent in
`seq` order over a Socket.IO connection. A reader of the site's database, never a writer of the queue."""
