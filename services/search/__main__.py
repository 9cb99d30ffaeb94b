"""``python -m services.search``: serves the search API and page until SIGTERM/Ctrl-C."""

import uvicorn

from services.common.logs import configure_logging
from services.search.bootstrap import bootstrap
from services.search.settings import SearchSettings


def main() -> None:
    settings = SearchSettings()
    configure_logging(settings.log_level, settings.log_format)
    app = bootstrap(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
