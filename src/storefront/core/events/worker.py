"""The worker: consumes the queue, runs handlers through the processor, retries with backoff
through delay queues and dead-letters after the last attempt. On shutdown it stops taking
messages, lets the ones in hand finish for a while, and leaves the rest unacknowledged so that
RabbitMQ redelivers them."""

import asyncio
import contextlib
import logging

from aio_pika.abc import AbstractIncomingMessage

from storefront.core.events.broker import Topology, event_id_of
from storefront.core.events.processing import EventProcessor, Outcome

logger = logging.getLogger(__name__)

INFRASTRUCTURE_RETRY_SECONDS = 1.0
CANCEL_TIMEOUT_SECONDS = 5.0


class QueueConsumer:
    def __init__(self, topology: Topology, processor: EventProcessor) -> None:
        self.topology = topology
        self.processor = processor
        self._in_hand: set[asyncio.Task[None]] = set()
        self._consumer_tag: str | None = None

    async def start(self) -> None:
        self._consumer_tag = await self.topology.work_queue.consume(self._on_message)

    async def stop(self, grace_seconds: float) -> None:
        if self._consumer_tag is not None:
            # With the broker gone there is no consumer left to cancel: don't wait for it.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CANCEL_TIMEOUT_SECONDS):
                    await self.topology.work_queue.cancel(self._consumer_tag)
        if self._in_hand:
            await asyncio.wait(self._in_hand, timeout=grace_seconds)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        # aio-pika runs each delivery in a task of its own; remember it until it settles.
        task = asyncio.current_task()
        if task is not None:
            self._in_hand.add(task)
        try:
            await self.handle(message)
        finally:
            self._in_hand.discard(task)

    async def handle(self, message: AbstractIncomingMessage) -> None:
        """Process one delivery and settle it; the ack comes only after the outcome is durable
        (handled mark committed, or the retry / dead letter confirmed by the broker)."""
        try:
            event_id = event_id_of(message)
        except (ValueError, KeyError, TypeError):
            logger.error(
                "unreadable message dead-lettered", extra={"message_id": message.message_id}
            )
            await self.topology.publish_dead(message)
            await message.ack()
            return
        try:
            result = await self.processor.process(event_id)
        except Exception as exc:
            # The database is out of reach: nothing was decided, so hand the message back.
            logger.warning(
                "could not process event",
                extra={"event_id": str(event_id), "error": repr(exc)[:300]},
            )
            await asyncio.sleep(INFRASTRUCTURE_RETRY_SECONDS)
            await message.nack(requeue=True)
            return
        if result.outcome is Outcome.RETRY and result.retry_in is not None:
            await self.topology.publish_retry(message, result.retry_in)
        elif result.outcome is Outcome.DEAD:
            await self.topology.publish_dead(message)
        await message.ack()
