"""Events that leave a transaction: the outbox, its relay to RabbitMQ, the worker that consumes
them, the in-process dispatcher used without a broker, and periodic jobs."""
