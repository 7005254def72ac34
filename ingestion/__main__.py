"""`python -m ingestion generate|ingest|docs`: the ingestion layer on its own, without Dagster."""

import typer

from procure_cli.main import docs, generate, ingest

app = typer.Typer(help="Ingestion without Dagster: generate synthetic data, load the landing area, regenerate docs.",
                  no_args_is_help=True, add_completion=False)
app.command()(generate)
app.command()(ingest)
app.command()(docs)

if __name__ == "__main__":
    app()
