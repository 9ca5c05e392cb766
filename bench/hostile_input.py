"""What hostile, unauthenticated form bodies cost the sandbox (issue 13, item 7).

``python -m bench.hostile_input`` POSTs bodies of ``a[]=1&`` pairs (the worst case for PHP-style
parsing: every pair appends to one array) with a bogus ``api_token`` and prints the wall time of
each answer. PHP's ``max_input_vars`` (1000) bounds the parsing, so the cost no longer grows
with the body; a body over ``post_max_size`` (8 MiB) is read and discarded.
"""

from __future__ import annotations

import argparse
import time

import requests

from ocdata.sandbox import serve

SIZES_KB = (96, 384, 1536, 8200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with serve(store="stock") as sandbox, requests.Session() as http:
        url = sandbox.url + "index.php?route=api/cart&api_token=" + "0" * 26
        http.post(url, data="a=1", headers={"Content-Type": "application/x-www-form-urlencoded"})  # warm up
        print(f"{'body KB':>8} {'pairs':>9} {'status':>6} {'best s':>8}")
        for kb in SIZES_KB:
            body = ("a[]=1&" * (kb * 1024 // 6)).encode()
            best = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                answer = http.post(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
                best = min(best, time.perf_counter() - started)
            print(f"{len(body) // 1024:>8} {len(body) // 6:>9} {answer.status_code:>6} {best:>8.4f}")


if __name__ == "__main__":
    main()
