#!/usr/bin/env python3
"""Check actorlens's Parquet output with the readers warehouses use (pyarrow/pandas and DuckDB).

    python scripts/check_parquet.py OUT_DIR      # a --format csv,parquet --layout single run

For every table: the Parquet file opens in pyarrow, pandas and DuckDB; it has the CSV's columns
in the same order and the same row count; integer columns are int64, scores float64, flags bool;
and the values equal the CSV's (text compared as written, numbers at the CSV's precision).
Exits 1 on any mismatch.
"""
import csv, math, sys, os

import duckdb
import pandas as pd
import pyarrow.parquet as pq

TABLES = ["documents", "mentions", "actors", "sentences", "stances", "actions", "errors", "corpus_actors"]
EXPECT = {  # spot checks of the declared types
    "mentions": {"start_char": "int64", "score": "double", "text": "string", "actor_id": "string"},
    "actions": {"negated": "bool", "is_quote": "bool", "confidence": "double", "sentence_idx": "int64"},
    "documents": {"n_mentions": "int64", "sentiment_score": "double", "line": "int64"},
}


def main():
    out = sys.argv[1]
    bad = 0
    print(f"{'table':<14} {'rows':>7} {'pyarrow':>8} {'pandas':>7} {'duckdb':>7}  types")
    for t in TABLES:
        pqf, csvf = os.path.join(out, f"{t}.parquet"), os.path.join(out, f"{t}.csv")
        with open(csvf, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        tab = pq.read_table(pqf)
        df = pd.read_parquet(pqf)
        n_duck = duckdb.sql(f"select count(*) from read_parquet('{pqf}')").fetchone()[0]
        types = {f.name: str(f.type) for f in tab.schema}
        ok = tab.column_names == header and tab.num_rows == len(body) == len(df) == n_duck
        for col, ty in EXPECT.get(t, {}).items():
            ok &= types.get(col) == ty
        # values: every cell equals the CSV text (null = empty; bools lower-case; floats at CSV precision)
        cols = tab.to_pydict()
        for i, row in enumerate(body):
            for j, name in enumerate(header):
                v, c = cols[name][i], row[j]
                if v is None:
                    same = c == ""
                elif isinstance(v, bool):
                    same = str(v).lower() == c
                elif isinstance(v, float):
                    same = c != "" and math.isclose(v, float(c), abs_tol=1e-9)
                else:
                    same = str(v) == c
                if not same:
                    ok = False
                    if bad < 5:
                        print(f"  {t} row {i} {name}: parquet {v!r} != csv {c!r}")
                    bad += 1
        print(f"{t:<14} {len(body):>7} {tab.num_rows:>8} {len(df):>7} {n_duck:>7}  "
              f"{'ok' if ok else 'MISMATCH'}")
        bad += 0 if ok else 1
    print("OK: Parquet matches CSV in pyarrow, pandas and DuckDB" if not bad else f"FAIL: {bad} problems")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
