NAME = "mix"
HELP = "Select a training mixture from the catalog by a MixtureSpec YAML → manifest.json + asked-vs-available report."
EXAMPLE = "datamill --store store mix configs/mixtures/demo.yaml --out out/mix-demo"


def add_arguments(p):
    p.add_argument("spec", help="MixtureSpec YAML (configs/mixtures/*.yaml)")
    p.add_argument("--out", default=None, help="output folder (default <store>/_mixtures/<name>)")


def run(args) -> int:
    from datamill.mixing import run_mix
    from datamill.store import Store

    result = run_mix(args.spec, Store(args.store), args.out)
    print(result.table)
    print(f"manifest: {result.manifest_path}  sha256:{result.manifest_sha256}")
    return 0
