"""The yardsticks of the translation figures: what `gankit eval` gives a perfect translator and a do-nothing one, on
each built-in translation data set's test split. Trains nothing.

    nice -n 10 .venv/bin/python benchmarks/translation_data.py [--json results/translation-data.json]
        [--picture docs/images/translation/data.png]

Per data set and direction (StarGAN's data: averaged over the five target domains):
  real     the target domain's real test images, scored as if translated: label preservation = the classifier's
           held-out accuracy (the ceiling); FID against real train images of that domain (the floor);
  identity the source images passed through unchanged: what a translator that does nothing scores.
Also the seconds to build each data set's two splits. --picture draws 12 test images of each domain, one row each:
edges | digits, digits | colour digits (other digits), grey | colour, then the five styles.
docs/translation-data.md has the results.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import datetime, timezone

import torch

from gankit.data.dataset import to_unit_range
from gankit.data.translation import BUILTIN_TRANSLATION, load_translation
from gankit.images import save_grid
from gankit.metrics.translation import TARGET_CLASSIFIERS, domain_classifier, domain_fid, label_preservation


def two_domains(name: str, train, test) -> list[dict]:
    rows = []
    for direction, classifier_name in TARGET_CLASSIFIERS[name].items():
        a_to_b = direction == "AtoB"
        source, target = (test.a, test.b) if a_to_b else (test.b, test.a)
        labels, target_labels = (test.a_labels, test.b_labels) if a_to_b else (test.b_labels, test.a_labels)
        train_target = train.b if a_to_b else train.a
        classifier = domain_classifier(classifier_name)
        real, source = to_unit_range(target), to_unit_range(source)
        rows.append({
            "data": name, "direction": direction, "classifier": classifier_name, "n": len(real),
            "real_labels": label_preservation(real, target_labels, classifier),
            "real_fid": domain_fid(real, to_unit_range(train_target[:len(real)]), classifier),
            "identity_labels": label_preservation(source, labels, classifier),
            "identity_fid": domain_fid(source, real, classifier),
        })
    return rows


def many_domains(name: str, train, test) -> list[dict]:
    digits = domain_classifier(TARGET_CLASSIFIERS[name]["to"])
    styles = domain_classifier(f"{TARGET_CLASSIFIERS[name]['to']}-domain")
    per_domain = []
    for t in range(len(test.domains)):
        real = to_unit_range(test.a[test.a_domain == t])
        others = test.a_domain != t
        source = to_unit_range(test.a[others])
        per_domain.append({
            "real_labels": label_preservation(real, test.a_labels[test.a_domain == t], digits),
            "real_domain": label_preservation(real, torch.full((len(real),), t), styles),
            "real_fid": domain_fid(real, to_unit_range(train.a[train.a_domain == t][:len(real)]), digits),
            "identity_labels": label_preservation(source, test.a_labels[others], digits),
            "identity_domain": label_preservation(source, torch.full((len(source),), t), styles),
            "identity_fid": domain_fid(source, real, digits),
        })
    mean = {key: sum(d[key] for d in per_domain) / len(per_domain) for key in per_domain[0]}
    return [{"data": name, "direction": "to each domain (mean)", "classifier": TARGET_CLASSIFIERS[name]["to"],
             "n": int((test.a_domain == 0).sum()), **mean}]


def picture_rows(per_row: int = 12) -> list[torch.Tensor]:
    rows = []
    for name in BUILTIN_TRANSLATION:
        test = load_translation(name, "test", channels=3)
        if test.domains:
            rows += [to_unit_range(test.a[test.a_domain == d][:per_row]) for d in range(len(test.domains))]
        else:
            rows += [to_unit_range(test.a[:per_row]), to_unit_range(test.b[:per_row])]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--picture", help="also draw test images of every data set into this PNG")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows, build = [], {}
    for name in BUILTIN_TRANSLATION:
        start = time.perf_counter()
        train, test = load_translation(name, "train"), load_translation(name, "test")
        build[name] = time.perf_counter() - start
        rows += many_domains(name, train, test) if train.domains else two_domains(name, train, test)
    print(f"{'data':<14} {'direction':<22} {'classifier':<14} {'n':>5}  {'real: labels':>12} {'FID':>6}   "
          f"{'identity: labels':>16} {'FID':>7}   {'build s':>7}")
    for r in rows:
        extra = f"  (domain acc. real {r['real_domain']:.3f}, identity {r['identity_domain']:.3f})" \
            if "real_domain" in r else ""
        print(f"{r['data']:<14} {r['direction']:<22} {r['classifier']:<14} {r['n']:>5}  {r['real_labels']:>12.3f} "
              f"{r['real_fid']:>6.2f}   {r['identity_labels']:>16.3f} {r['identity_fid']:>7.1f}   "
              f"{build[r['data']]:>7.2f}{extra}")
    if args.picture:
        save_grid(torch.cat(picture_rows()), args.picture, nrow=12, scale=2)
    if args.json:
        from gankit.files import write_text
        record = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "machine": platform.machine(),
                  "torch": torch.__version__, "rows": rows, "build_seconds": build}
        write_text(args.json, json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
