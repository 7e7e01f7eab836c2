"""The baseline: the OpenAI Agents SDK running the lookup scenario against the same mocks.

Prints one JSON object: turns, wall seconds, turns/s, latency p50/p99 (ms), CPU per turn (ms,
from getrusage of this process), errors.
"""
import argparse
import asyncio
import json
import resource
import time

try:  # the HTTP client the openai package itself uses
    import httpx
except ImportError:  # newer openai releases ship it as httpx2
    import httpx2 as httpx
from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--shop", required=True)
    parser.add_argument("--shop-key", required=True)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()

    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=f"{args.model}/v1", api_key="bench-key")
    http = httpx.AsyncClient()

    @function_tool
    async def order_status(order_id: str, zip: str) -> str:
        """Look up where an order is by order number and ZIP code."""
        response = await http.get(
            f"{args.shop}/api/orders/{order_id}",
            params={"zip": zip},
            headers={"Authorization": f"Bearer {args.shop_key}"},
        )
        return response.text

    agent = Agent(
        name="acme-shop",
        instructions="You are the support assistant of Acme Shop.",
        tools=[order_status],
        model=OpenAIChatCompletionsModel(model="bench-model", openai_client=client),
    )

    latencies = []
    errors = 0
    semaphore = asyncio.Semaphore(args.concurrency)

    async def one(record: bool) -> None:
        nonlocal errors
        async with semaphore:
            started = time.perf_counter()
            try:
                result = await Runner.run(agent, "Where is my order W1000001? ZIP 10001")
                if "shipped" not in str(result.final_output):
                    errors += 1
            except Exception:  # noqa: BLE001 - every failure counts as an error
                errors += 1
            if record:
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one(False) for _ in range(args.warmup)))
    errors = 0
    cpu_before = cpu_seconds()
    wall_before = time.perf_counter()
    await asyncio.gather(*(one(True) for _ in range(args.turns)))
    wall = time.perf_counter() - wall_before
    cpu = cpu_seconds() - cpu_before
    latencies.sort()
    print(json.dumps({
        "turns": args.turns,
        "seconds": wall,
        "turns_per_s": args.turns / wall,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "cpu_ms_per_turn": cpu * 1000 / args.turns,
        "errors": errors,
    }))


asyncio.run(main())
