"""``zkgate study ...`` commands."""

from __future__ import annotations

import json
import sys

import click


@click.group()
def study() -> None:
    """Verifiable joint statistics (catalog, study, contribution, release)."""


@study.command("simulate")
@click.option("--holders", default=3, show_default=True, type=click.IntRange(1, 64), help="Data holders (hospitals).")
@click.option("--records", default=100, show_default=True, type=click.IntRange(0, 10_000_000), help="Records per holder.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the synthetic tables.")
@click.option("--chunk", default=64, show_default=True, type=click.IntRange(1, 1 << 16), help="Chunk capacity (records per proof).")
@click.option("--tamper", type=click.Choice(["participant", "aggregator", "keyholder"]), default=None,
              help="Inject one party's misbehaviour; the run must end unverified, with the reason.")
@click.option("--preset", default="bfv-4096", show_default=True, help="BFV preset of the study.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Prover processes per holder.")
@click.option("--json", "as_json", is_flag=True, help="End with one line of JSON (verified, released, truth, reason, timings).")
def simulate_command(holders, records, seed, chunk, tamper, preset, workers, as_json) -> None:
    """Run a whole study in one process on synthetic, seeded patient tables (dev keys).

    Prints the released statistics beside the ground truth computed in the clear, the
    verification outcome and timings per phase.  Exit status 0 when verified, 1 when not.
    """
    from zkgate.study.simulate import simulate

    log = (lambda m: click.echo(m, err=True)) if as_json else click.echo
    res = simulate(holders, records, seed, chunk, tamper=tamper, preset=preset, workers=workers, log=log)
    out = click.echo if not as_json else (lambda m: click.echo(m, err=True))
    out("")
    out(f"{'statistic':<24} {'released':>22} {'truth':>22}")
    for k, v in res.truth.items():
        rel = "-" if res.released is None else res.released.get(k)
        out(f"{k:<24} {str(rel):>22} {str(v):>22}")
    out("")
    out("verified: " + ("yes" if res.verified else "NO"))
    if res.reason:
        out(f"reason: {res.reason}")
    out("timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in res.timings.items()))
    if as_json:
        click.echo(json.dumps(res.to_json(), sort_keys=True))
    sys.exit(0 if res.verified else 1)


COMMANDS = [study]

__all__ = ["COMMANDS", "study"]
