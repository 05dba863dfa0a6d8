"""The task sets the tool-use job runs, one per environment: every template × its number of variants.

Kept apart from the template files so that none of them imports another that imports it (shop_orders.py reads
shop.py's helpers; travel_long.py reads travel.py's).
"""

from __future__ import annotations

from generators.tool_use.tasks import Task, shop, shop_orders, travel, travel_long


def shop_tasks() -> list[Task]:
    return [make(v) for make, n in {**shop.TEMPLATES, **shop_orders.TEMPLATES}.items() for v in range(n)]


def travel_tasks() -> list[Task]:
    return [make(v) for make, n in {**travel.TEMPLATES, **travel_long.TEMPLATES}.items() for v in range(n)]
