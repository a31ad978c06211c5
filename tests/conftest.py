"""Shared fixtures: a real end-to-end run of the whole asset graph on generated data.

Helpers (running the pipeline, its environment, hand-made warehouses) live in `tests.support`."""

from __future__ import annotations

import pytest

from tests.support.pipeline import SAMPLE_AS_OF, PipelineRun, failure_messages, run_pipeline


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory) -> PipelineRun:
    """One full run on a small generated sample, shared by the end-to-end tests of a worker."""
    from sample_data import generate

    root = tmp_path_factory.mktemp("e2e")
    landing = root / "landing"
    generate(customers=400, seed=7, out_dir=landing, end_date=SAMPLE_AS_OF)
    run = run_pipeline(root, landing, SAMPLE_AS_OF)
    assert run.result.success, failure_messages(run.result)
    return run


@pytest.fixture(scope="session")
def cli_landing(tmp_path_factory):
    """A small generated landing folder (150 customers) for the tests that run `clientpulse` as a
    process (console, crash and lock tests): generated once per worker, never written by a run."""
    from sample_data import generate

    landing = tmp_path_factory.mktemp("cli_landing") / "landing"
    generate(customers=150, seed=5, out_dir=landing, end_date=SAMPLE_AS_OF)
    return landing
