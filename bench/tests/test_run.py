"""The benchmark runner: refusal without MariaDB, registry selection, docs/benchmarks.md."""

import pytest

from bench import run
from bench.benchmarks import Benchmark, Measurement, de, select
from bench.context import percentile


def test_it_refuses_sqlite_with_a_clear_message(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/db.sqlite3")

    assert run.main(["--cases", "10"]) == 2

    assert "nur gegen MariaDB" in capsys.readouterr().err


def test_it_refuses_a_missing_database_url(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)

    assert run.main([]) == 2

    assert "DATABASE_URL" in capsys.readouterr().err


def test_it_refuses_a_database_name_without_bench(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@127.0.0.1:3306/dak_portal")

    assert run.main(["--database", "dak_portal"]) == 2

    assert "bench" in capsys.readouterr().err


def test_the_bench_url_keeps_server_and_credentials():
    url = "mysql://user:secret@db.example:3307/dak_portal?ssl=true"
    assert run._bench_url(url, "dak_portal_bench") == (
        "mysql://user:secret@db.example:3307/dak_portal_bench?ssl=true"
    )


def _benchmark(name):
    return Benchmark(name, name.title(), lambda ctx: [], order=1)


def test_only_selects_by_name_or_area():
    benchmarks = [_benchmark(n) for n in ("cases.insert", "cases.list_query", "imports.crm")]

    assert [b.name for b in select(benchmarks, ["imports"])] == ["imports.crm"]
    assert [b.name for b in select(benchmarks, ["cases.insert"])] == ["cases.insert"]
    assert select(benchmarks, []) == benchmarks
    with pytest.raises(ValueError, match="nope"):
        select(benchmarks, ["nope"])


def test_a_run_replaces_its_sections_and_keeps_the_others():
    machine = {"CPU": "Test-CPU, 2 Kerne"}
    old = run.update_document(
        "",
        {
            name: run.render_section(
                run.Outcome(_benchmark(name), [Measurement("Dauer", "old", "≤ 1 s", True)]),
                machine,
                "python -m bench.run",
            )
            for name in ("a.first", "b.second")
        },
        ["a.first", "b.second"],
    )

    new = run.update_document(
        old,
        {
            "b.second": run.render_section(
                run.Outcome(_benchmark("b.second"), [Measurement("Dauer", "new", "≤ 1 s", False)]),
                machine,
                "python -m bench.run --only b.second",
            )
        },
        ["a.first", "b.second"],
    )

    first, second = new.split("<!-- bench:b.second -->")
    assert "| Dauer | old | ≤ 1 s | bestanden |" in first
    assert "| Dauer | new | ≤ 1 s | NICHT bestanden |" in second
    assert "old" not in second
    assert new.count("<!-- bench:") == 2
    assert run.update_document(new, {}, ["a.first", "b.second"]) == new


def test_percentile_uses_the_nearest_rank():
    values = [float(v) for v in range(1, 201)]
    assert percentile(values, 50) == 100
    assert percentile(values, 99) == 198
    assert percentile([3.0], 99) == 3.0


def test_numbers_are_written_the_german_way():
    assert de(1234567) == "1.234.567"
    assert de(12.345, 1) == "12,3"
