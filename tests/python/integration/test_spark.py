"""The same project on Spark: `dbt build --target spark` gives the scores DuckDB gives.

One small generated data set (same seed) goes to DuckDB (the generator) and to Parquet
(`--mode generate --format parquet`, registered as raw.* on Spark by create_spark_raw_tables).
Both engines run `dbt build` with every data and unit test; then Spark's marts.user_scores,
read back through the metastore, must equal DuckDB's row for row.

Spark runs in subprocesses (dbt-spark's `session` method starts a local PySpark JVM) whose
working directory, warehouse, Derby metastore and logs all live under tmp_path.
Needs Java 17 and requirements-spark.txt (`make spark-deps`, part of `make test`); without
them the test is skipped, except in CI, where it fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from intent_scoring import cli
from intent_scoring.dbt_runner import run_dbt
from intent_scoring.warehouse import PROJECT_ROOT

from .dbt_helpers import query

pytestmark = pytest.mark.spark

N_USERS = 300
SEED = 7
SPARK_BUILD_TIMEOUT = 1200  # seconds; about 3 minutes on 2 cores

# Reads tables through the metastore dbt just wrote, with the profile's settings for the
# folders under INTENT_SPARK_DIR (see profiles.yml), and prints them as JSON.
_READ_BACK = """
import json, os, sys
from pyspark.sql import SparkSession

spark_dir = os.environ["INTENT_SPARK_DIR"]
spark = (
    SparkSession.builder.master("local[2]").enableHiveSupport()
    .config("spark.sql.warehouse.dir", spark_dir + "/warehouse")
    .config("spark.hadoop.javax.jdo.option.ConnectionURL",
            "jdbc:derby:;databaseName=" + spark_dir + "/metastore_db;create=true")
    .config("spark.driver.extraJavaOptions", "-Dderby.stream.error.file=" + spark_dir + "/derby.log")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
out = {name: [row.asDict() for row in spark.sql(sql).collect()] for name, sql in json.loads(sys.argv[1]).items()}
print("RESULT " + json.dumps(out))
"""

QUERIES = {
    "user_scores": "select user_id, score, label, score_rank from marts.user_scores order by score_rank",
    "experiment_assignments": "select user_id, stratum, experiment_group from marts.experiment_assignments "
    "order by user_id",
}


def _spark_missing() -> str | None:
    if shutil.which("java") is None:
        return "no java on PATH (Java 17: apt-get install openjdk-17-jre-headless)"
    for module in ("pyspark", "dbt.adapters.spark"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -r requirements-spark.txt, or `make spark-deps`)"
    return None


@pytest.fixture(scope="module")
def spark_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    missing = _spark_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the Spark test cannot run in CI: {missing}")
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("spark")
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "INTENT_RAW_PARQUET_DIR": str(folder / "raw"),
        "INTENT_SPARK_DIR": str(folder / "spark"),
        "INTENT_TMP": str(folder),
    }


def _run(args: list[str], env: dict[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=env["INTENT_TMP"], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{' '.join(args[:3])} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return result


def test_spark_build_passes_every_test_and_matches_duckdb_scores(
    spark_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = ["--n-users", str(N_USERS), "--seed", str(SEED)]
    raw = Path(spark_env["INTENT_RAW_PARQUET_DIR"])
    assert cli.main(["--mode", "generate", "--format", "parquet", *size, "--path", str(raw)]) == 0
    assert {p.name for p in raw.iterdir()} == {"users.parquet", "events.parquet"}

    # DuckDB: the same data through the generator, then the usual in-process build
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("INTENT_WAREHOUSE", str(warehouse))
    assert cli.main(["--mode", "generate", *size]) == 0
    run_dbt(["build"], quiet=True)

    # Spark: dbt's own CLI in a subprocess, every file it writes under the tmp folder
    tmp = Path(spark_env["INTENT_TMP"])
    dbt = str(Path(sys.executable).parent / "dbt")
    build = _run(
        [dbt, "build", "--target", "spark", "--project-dir", str(PROJECT_ROOT),
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"), "--no-use-colors"],
        spark_env,
        SPARK_BUILD_TIMEOUT,
    )
    summary = [line for line in build.stdout.splitlines() if "Done. PASS=" in line]
    assert summary and "ERROR=0" in summary[-1] and "SKIP=0" in summary[-1], summary
    assert (tmp / "spark" / "metastore_db").is_dir() and not (PROJECT_ROOT / "metastore_db").exists()

    read = _run([sys.executable, "-c", _READ_BACK, json.dumps(QUERIES)], spark_env, 600)
    spark = json.loads(next(line for line in read.stdout.splitlines() if line.startswith("RESULT "))[7:])

    duck_scores = query(warehouse, QUERIES["user_scores"])
    spark_scores = [(r["user_id"], r["score"], r["label"], r["score_rank"]) for r in spark["user_scores"]]
    assert len(duck_scores) == N_USERS
    assert spark_scores == duck_scores
    duck_groups = query(warehouse, QUERIES["experiment_assignments"])
    assert [tuple(r.values()) for r in spark["experiment_assignments"]] == duck_groups
