"""Key committee (#23): the threshold-BFV steps beside the single key holder's, in one run.

For each preset (bfv-8192 and the largest, bfv-16384), a committee of --members with
--threshold over --max-participants:

* joint key generation per member: its secret and error, the public-key share
  ``b_i = −a·s_i + e_i`` over every key-level prime (the common polynomial ``a`` is expanded
  once per committee and timed separately), and, for t < N, dealing its Shamir shares;
  baseline: TenSEAL creating a BFV context with its keys (what the single key holder does);
* a decryption share of one aggregate ciphertext (``λ·S·c1 + smudging``), parsing the
  TenSEAL ciphertext included; baseline: TenSEAL's own decrypt of the same vector with a
  single key (the single key holder's whole decryption);
* combining t shares into the slots (scale, round, BatchEncoder decode).

Target: each committee step <= 100 ms on 2 cores.  Prints a Markdown table of medians, wall
time with the CPU time of the same runs in parentheses (ratio = committee / single key holder,
wall).

With ``--study HOLDERS``: a whole simulated study (``zkgate.study.simulate``, proofs included) with
the single key holder and with the committee, in ABBA order, wall and CPU time of each, and the
ratio (target: committee within 1.3x).

Usage: python -P benchmarks/bench_threshold.py [--members 5] [--threshold 3] [--repeat 9] [--study 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

_CPU: dict[int, float] = {}


def _median_ms(fn, repeat: int) -> float:
    """Median wall time in ms; the median CPU time of the same runs is kept in ``_CPU[id(fn)]``
    (on a shared machine the CPU time shows the cost without other jobs' contention)."""
    fn()  # warm caches (NTT tables, templates)
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    _CPU[id(fn)] = statistics.median(cpu) * 1000
    return statistics.median(times) * 1000


def _timed(fn, repeat: int) -> tuple[float, float]:
    wall = _median_ms(fn, repeat)
    return wall, _CPU[id(fn)]


def bench(preset: str, members: int, threshold: int, max_participants: int, repeat: int) -> list[tuple]:
    import tenseal as ts

    from zkgate.he import context as he_context
    from zkgate.he.presets import PRESETS
    from zkgate.he.threshold import (
        CommitteeParams,
        Member,
        combine,
        common_polynomial,
        common_seed,
        decryption_share,
        joint_public_context,
        read_ciphertext,
    )

    params = PRESETS[preset]
    cp = CommitteeParams(params, members, threshold, max_participants)
    cid = b"bench"
    team = [Member(cp, i) for i in range(1, members + 1)]
    seed = common_seed(cid, [m.round1_commitment(cid) for m in team])
    a_ms = _timed(lambda: common_polynomial(cp, seed), repeat)
    a = common_polynomial(cp, seed)

    def keygen():
        m = Member(cp, 1)
        m.key_share(a)
        if threshold < members:
            m.deal()

    keygen_ms = _timed(keygen, repeat)
    shares = [m.key_share(a) for m in team]
    pc = joint_public_context(cp, a, shares)
    if threshold < members:
        for dealer in team:
            for k, share in dealer.deal().items():
                if k != dealer.index:
                    team[k - 1].receive(dealer.index, share)
    ctx = pc.open()
    values = list(range(1, cp.n + 1))
    data = ts.bfv_vector(ctx, values).serialize()
    active = list(range(1, threshold + 1))

    def share():
        _, ct = read_ciphertext(cp, data)
        decryption_share(team[0], ct, active)

    share_ms = _timed(share, repeat)
    length, ct = read_ciphertext(cp, data)
    dshares = [decryption_share(team[i - 1], ct, active) for i in active]
    assert combine(cp, ct, dshares, length) == values
    combine_ms = _timed(lambda: combine(cp, ct, dshares, length), repeat)

    # the single key holder: TenSEAL's key generation and decrypt of a vector of the same length
    base_keygen_ms = _timed(lambda: he_context.new_secret_context(params), repeat)
    single = he_context.new_secret_context(params)
    single_data = ts.bfv_vector(single, values).serialize()
    base_decrypt_ms = _timed(lambda: ts.bfv_vector_from(single, single_data).decrypt(), repeat)
    return [
        (preset, "common polynomial a (once per committee)", a_ms, None),
        (preset, "joint key generation per member", keygen_ms, base_keygen_ms),
        (preset, "decryption share", share_ms, base_decrypt_ms),
        (preset, f"combine {threshold} shares", combine_ms, base_decrypt_ms),
    ]


def study(holders: int, records: int, members: int, threshold: int) -> None:
    from zkgate.study.simulate import simulate

    def run(committee: bool) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        kw = dict(key_holders=members, threshold=threshold) if committee else {}
        res = simulate(holders, records, 1, preset="bfv-8192", **kw)
        assert res.verified, res.reason
        return time.perf_counter() - t0, time.process_time() - c0

    run(True)  # warm-up (circuit, keys and NTT caches), discarded
    out = {False: [], True: []}
    for committee in (False, True, True, False):  # ABBA
        out[committee].append(run(committee))
    single = [sum(x) / 2 for x in zip(*out[False])]
    comm = [sum(x) / 2 for x in zip(*out[True])]
    print(f"study: {holders} holders x {records} records, bfv-8192, mean of 2 runs each (ABBA)")
    print("| key holders | wall s | CPU s |")
    print("|---|---:|---:|")
    print(f"| single key holder | {single[0]:.2f} | {single[1]:.2f} |")
    print(f"| committee {threshold}-of-{members} | {comm[0]:.2f} | {comm[1]:.2f} |")
    print(f"| ratio | {comm[0] / single[0]:.2f} | {comm[1] / single[1]:.2f} |")


def gateway_study(holders: int, records: int, members: int, threshold: int) -> None:
    """The same comparison through a real gateway (``zkgate demo``'s code, embedded gateway): every
    committee message relayed by the gateway, commit-before-upload; both on bfv-8192."""
    from zkgate.services.parties.demo import run_demo

    def run(committee: bool) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        kw = dict(key_holders=members, threshold=threshold) if committee else {}
        res = run_demo(holders=holders, records=records, chunk=8, preset="bfv-8192", **kw)
        assert res.verified, res
        return time.perf_counter() - t0, time.process_time() - c0

    run(True)  # warm-up (circuit, keys and NTT caches), discarded
    out = {False: [], True: []}
    for committee in (False, True, True, False):  # ABBA
        out[committee].append(run(committee))
    single = [sum(x) / 2 for x in zip(*out[False])]
    comm = [sum(x) / 2 for x in zip(*out[True])]
    print(f"gateway study (zkgate demo): {holders} hospitals x {records} records, bfv-8192, mean of 2 runs (ABBA)")
    print("| key holders | wall s | CPU s (this process: gateway, hospitals, members) |")
    print("|---|---:|---:|")
    print(f"| single key holder | {single[0]:.2f} | {single[1]:.2f} |")
    print(f"| committee {threshold}-of-{members} | {comm[0]:.2f} | {comm[1]:.2f} |")
    print(f"| ratio | {comm[0] / single[0]:.2f} | {comm[1] / single[1]:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--threshold", type=int, default=3)
    ap.add_argument("--max-participants", type=int, default=1 << 20)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--presets", default="bfv-8192,bfv-16384")
    ap.add_argument("--study", type=int, default=0, metavar="HOLDERS",
                    help="also time a whole simulated study (bfv-8192) single key holder vs committee")
    ap.add_argument("--records", type=int, default=100)
    ap.add_argument("--gateway-study", type=int, default=0, metavar="HOSPITALS",
                    help="time zkgate demo's study through a real gateway, single key holder vs committee (bfv-8192)")
    args = ap.parse_args()
    if args.gateway_study:
        gateway_study(args.gateway_study, args.records, args.members, args.threshold)
        return
    if args.study:
        study(args.study, args.records, args.members, args.threshold)
        return
    from zkgate.kernels import rns

    print(f"RNS engine: {rns.ENGINE}; committee {args.threshold}-of-{args.members}, "
          f"max participants {args.max_participants}, median of {args.repeat}; wall ms (CPU ms)")
    print()
    print("| preset | step | committee (ms) | single key holder (ms) | ratio (wall) |")
    print("|---|---|---:|---:|---:|")
    for preset in args.presets.split(","):
        for p, step, ms, base in bench(preset, args.members, args.threshold, args.max_participants, args.repeat):
            base_s = f"{base[0]:.1f} ({base[1]:.1f})" if base is not None else "–"
            ratio = f"{ms[0] / base[0]:.2f}" if base else "–"
            print(f"| {p} | {step} | {ms[0]:.1f} ({ms[1]:.1f}) | {base_s} | {ratio} |")


if __name__ == "__main__":
    main()
