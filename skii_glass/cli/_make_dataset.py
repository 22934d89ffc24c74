"""``skii-glass make-dataset``: simulate configurations and propensities into one file."""

from __future__ import annotations

import argparse
import sys
import time

DESCRIPTION = """\
Simulate equilibrium configurations and their iso-configurational propensities (stages
1-3 of `skii-glass reproduce`) and write them to one .npz file that
skii_glass.datasets.load_propensity() and `reproduce --from-bundled FILE` read.

The work folder holds the checkpoints: stop the command at any moment and run it again
with the same arguments to resume. The packaged dataset was made with
  skii-glass make-dataset --scale bundle --work WORKDIR \\
      --out skii_glass/data/propensity_ka2d.npz --n-jobs 2
"""


def add_parser(subparsers) -> None:
    from ._reproduce import add_simulation_arguments

    p = subparsers.add_parser(
        "make-dataset",
        help="simulate configurations + propensities into a dataset file (resumable)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_simulation_arguments(p, default_scale="bundle")
    p.add_argument("--out", required=True, metavar="FILE", help="dataset file to write (.npz)")
    p.add_argument("--work", required=True, metavar="DIR",
                   help="folder for checkpoints and cached stages (reused to resume)")
    p.set_defaults(func=run)


def run(args) -> int:
    import shlex
    from dataclasses import asdict

    from ..datasets import load_propensity, save_propensity
    from ..pipeline import simulate
    from ._reproduce import backend_context, scale_from_args

    scale = scale_from_args(args)
    verbose = not args.quiet

    def log(msg):
        if verbose:
            print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    with backend_context(args):
        sim = simulate(scale, args.work, n_jobs=args.n_jobs, progress=verbose, log=log)
    provenance = {
        **sim.metadata(),
        "scale": asdict(scale),
        "command": "skii-glass " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        if sys.argv and sys.argv[0].endswith("skii-glass") else "skii-glass make-dataset",
        "stage_seconds": sim.stage_seconds,
        "tau_alpha": {k: v for k, v in sim.tau_alpha.items()
                      if k not in ("times", "fs", "fs_cr")},
        "propensity": "mean over trajectories of |dr^CR(tau_alpha)| (cage-relative, "
                      "neighbours r < 1.4 sigma_ab at t = 0, centre-of-mass drift removed)",
    }
    path = save_propensity(
        args.out, sim.configurations, sim.propensity, bond_breaking=sim.bond_breaking,
        temperature=scale.temperature, tau_alpha=sim.tau_alpha["tau_alpha_cr_sweeps"],
        provenance=provenance, displacements=sim.displacements,
    )
    data = load_propensity(path, descriptors=False)
    size = path.stat().st_size / 1e6
    print(f"skii-glass make-dataset: wrote {path} ({size:.2f} MB): "
          f"{len(data.configurations)} configurations x N = {scale.n_particles}, "
          f"T = {scale.temperature}, tau_alpha^CR = {data.tau_alpha:.0f} sweeps, "
          f"{time.perf_counter() - t0:.1f} s")
    return 0
