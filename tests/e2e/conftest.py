"""End-to-end tests run the whole pipeline through the CLI on the real local stack that `make test` starts.

They fail loudly when the stack is missing: they never skip.
"""

from __future__ import annotations

import pytest

from tests.conftest import fail_without_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def require_stack() -> None:
    fail_without_stack()
