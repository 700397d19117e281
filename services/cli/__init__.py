"""The gateway's click commands (``zkgate serve``, ``zkgate gateway ...``, role commands)."""
