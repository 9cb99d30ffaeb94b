"""``python -m services.enrich``: runs the enrichment worker until SIGTERM/Ctrl-C."""

from services.common.logs import configure_logging
from services.enrich.bootstrap import bootstrap
from services.enrich.settings import EnrichSettings


def main() -> None:
    settings = EnrichSettings()
    configure_logging(settings.log_level, settings.log_format)
    app = bootstrap(settings)
    # faust's own CLI would parse sys.argv; running the worker directly keeps this a plain module entry point.
    from faust.worker import Worker

    # override_logging=False keeps our JSON logs instead of faust's own format.
    Worker(app, loglevel=settings.log_level, quiet=True, override_logging=False).execute_from_commandline()


if __name__ == "__main__":
    main()
