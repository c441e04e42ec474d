"""RabbitMQ topology: a durable topic exchange for events, the worker's queue, one delay queue per
retry step (messages wait out their TTL there, then return to the worker's queue) and a queue
of dead letters for an operator."""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

EXCHANGE = "storefront.events"
WORK_QUEUE = "storefront.worker"
DEAD_QUEUE = "storefront.worker.dead"


@dataclass(frozen=True)
class Topology:
    exchange: AbstractExchange
    work_queue: AbstractQueue
    channel: AbstractChannel

    async def publish_event(self, event_id: uuid.UUID, event_type: str) -> None:
        """Publish and wait for the broker's confirm (the channel has publisher confirms on)."""
        await self.exchange.publish(event_message(event_id, event_type), routing_key=event_type)

    async def publish_retry(self, message: aio_pika.abc.AbstractMessage, delay: timedelta) -> None:
        queue = await self._retry_queue(delay)
        await self.channel.default_exchange.publish(_copy(message), routing_key=queue.name)

    async def publish_dead(self, message: aio_pika.abc.AbstractMessage) -> None:
        await self.channel.default_exchange.publish(_copy(message), routing_key=DEAD_QUEUE)

    async def _retry_queue(self, delay: timedelta) -> AbstractQueue:
        milliseconds = max(1, int(delay.total_seconds() * 1000))
        # The delay is part of the name: a queue's TTL cannot change once declared.
        return await self.channel.declare_queue(
            f"{WORK_QUEUE}.retry.{milliseconds}ms",
            durable=True,
            arguments={
                "x-message-ttl": milliseconds,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": WORK_QUEUE,
            },
        )


async def declare_topology(channel: AbstractChannel) -> Topology:
    exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    work_queue = await channel.declare_queue(WORK_QUEUE, durable=True)
    await work_queue.bind(exchange, routing_key="#")
    await channel.declare_queue(DEAD_QUEUE, durable=True)
    return Topology(exchange, work_queue, channel)


async def purge_worker_queues(broker_url: str) -> int:
    """Empty the worker's queue and its dead letters (tests and benchmarks start from nothing);
    the number of consumers the worker's queue has, so a caller can refuse to share it."""
    connection = await aio_pika.connect(broker_url)
    async with connection:
        channel = await connection.channel()
        topology = await declare_topology(channel)
        await topology.work_queue.purge()
        await (await channel.declare_queue(DEAD_QUEUE, durable=True)).purge()
        queue = await channel.declare_queue(WORK_QUEUE, durable=True, passive=True)
        return int(queue.declaration_result.consumer_count or 0)


def event_message(event_id: uuid.UUID, event_type: str) -> aio_pika.Message:
    """Only the id travels: the worker reloads the event (and any sealed secret) from the outbox."""
    body = json.dumps({"event_id": str(event_id), "event_type": event_type}).encode()
    return aio_pika.Message(
        body,
        message_id=str(event_id),
        type=event_type,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


def event_id_of(message: aio_pika.abc.AbstractMessage) -> uuid.UUID:
    return uuid.UUID(json.loads(message.body)["event_id"])


def _copy(message: aio_pika.abc.AbstractMessage) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        message_id=message.message_id,
        type=message.type,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
