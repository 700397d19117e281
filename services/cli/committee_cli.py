"""``zkgate committee``: a key committee member's commands (issue 23; docs/gateway.md "Key committee").

    zkgate committee init --home M1                         # keys; gives M1/member.json to the requester
    zkgate committee roster --member M1/member.json ... --threshold T --max-participants P \\
        [--preset bfv-8192] --out roster.bin [--gateway ADDR]   # the requester fixes the committee
    zkgate committee join --home M1 --roster roster.bin --gateway ADDR
    zkgate committee setup --home M1 --gateway ADDR         # every member at once: the joint key
    zkgate committee decrypt-share --home M1 --gateway ADDR --study STUDY_ID

Every message travels through the gateway's CommitteeService, signed and (shares) sealed.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..client.call_errors import CallTarget, reported
from ..client.committee_client import CommitteeRelay
from ..parties.committee_home import MemberHome, init_home, make_roster
from .common import DEFAULT_GATEWAY, GatewayTarget, access_options, client_for


def _gateway_option(command):
    return click.option("--gateway", "address", default=DEFAULT_GATEWAY, show_default=True, envvar="ZKGATE_GATEWAY",
                        help="Gateway HOST:PORT.")(command)


@click.group("committee")
def committee_group() -> None:
    """Key committee member: keys, the joint key's setup, decryption shares (through the gateway)."""


@committee_group.command("init")
@click.option("--home", required=True, type=click.Path(file_okay=False), help="The member's home folder (created).")
def init_command(home: str) -> None:
    """Make this member's hybrid signing key and transport key; writes HOME/member.json (public)."""
    with reported():
        card = init_home(home)
    click.echo(f"committee member keys in {home}; give {card} to the requester")


@committee_group.command("roster")
@click.option("--member", "members", multiple=True, required=True, type=click.Path(dir_okay=False, exists=True),
              help="A member's member.json, in member order (repeat: 2..16).")
@click.option("--threshold", required=True, type=click.IntRange(2, 16), help="Members needed to decrypt.")
@click.option("--max-participants", required=True, type=click.IntRange(1, 65536),
              help="Most participants a study of this committee may have (sizes the smudging noise).")
@click.option("--preset", default="bfv-8192", show_default=True, help="BFV preset (bfv-4096 cannot serve a committee).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the roster.")
@click.option("--gateway", "address", default=None, help="Also register the roster with this gateway.")
@access_options
def roster_command(members, threshold, max_participants, preset, out, address, tls_dir, org, token) -> None:
    """The requester fixes the committee: its members' keys, N, T, the preset (a fresh nonce)."""
    with reported(CallTarget(address, tls_dir, org) if address else None):
        roster = make_roster(list(members), preset=preset, threshold=threshold, max_participants=max_participants)
        Path(out).write_bytes(roster.to_bytes())
        if address:
            with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
                CommitteeRelay(client).register(roster.to_bytes())
    click.echo(f"committee {roster.committee_id.hex()}: {threshold} of {len(members)} on {preset}; roster in {out}")


@committee_group.command("join")
@click.option("--home", required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--roster", "roster_file", required=True, type=click.Path(dir_okay=False, exists=True))
@_gateway_option
@access_options
def join_command(home, roster_file, address, tls_dir, org, token) -> None:
    """Check that the roster holds this member's keys and that the gateway relays that committee."""
    with reported(CallTarget(address, tls_dir, org)):
        member = MemberHome(home)
        data = Path(roster_file).read_bytes()
        index = member.join(data)
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            info = CommitteeRelay(client).committee(member.roster().committee_id)
    click.echo(f"member {index} of committee {info.committee_id.hex()[:16]}... ({info.threshold} of {info.members})")


@committee_group.command("setup")
@click.option("--home", required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--wait", default=300.0, show_default=True, type=float, help="Seconds to wait for the other members.")
@_gateway_option
@access_options
def setup_command(home, wait, address, tls_dir, org, token) -> None:
    """Run the joint key's setup rounds (commit, reveal, approve, Shamir dealing) through the gateway,
    waiting for the other members; keeps this member's key share in HOME/state.bin (secret)."""
    with reported(CallTarget(address, tls_dir, org)):
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            key_id = MemberHome(home).setup(CommitteeRelay(client), wait=wait)
    click.echo(f"joint key {key_id.hex()} approved; this member's share is in {home}/state.bin")


@committee_group.command("decrypt-share")
@click.option("--home", required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--study", "study_id", required=True, help="The closed committee study (64 hex digits).")
@click.option("--wait", default=300.0, show_default=True, type=float, help="Seconds to wait for the request.")
@_gateway_option
@access_options
def decrypt_share_command(home, study_id, wait, address, tls_dir, org, token) -> None:
    """Answer the requester's decryption request: fetch the study's contributions, recompute the
    aggregate, and send a sealed, signed decryption share only for that sum."""
    with reported(CallTarget(address, tls_dir, org)):
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            active = MemberHome(home).decrypt_share(CommitteeRelay(client), client, study_id, wait=wait)
    click.echo(f"decryption request for active set {active} answered")


COMMANDS = [committee_group]

__all__ = ["COMMANDS"]
