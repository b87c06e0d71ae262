"""The domain core: rules, the QueueService verbs, read models and events."""
