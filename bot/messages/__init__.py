"""What each feature says through the outbox: renderers that turn a delivery row into a message at
send time (reading fresh data through the unit of work) with the Block Kit builders of bot/blocks.

Messages import services (for their rules and result types); services never import messages."""
