#!/usr/bin/env python3
"""model.json records every training setting that changes the result: each member of
train::TrainConfig and augment::AugmentConfig is written by config_to_json (src/train/trainer.cpp),
or is listed below with the reason it is not. A new setting that is neither fails this test, so
that a model folder keeps saying how it was made.

Usage: config_record_test.py SOURCE_DIR
"""
import re
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()

# Members that do not change the trained weights, or are recorded elsewhere in model.json.
NOT_RECORDED = {
    "TrainConfig": {
        "stop_requested": "a callback: the run records stopped_by instead",
        "threads": "the thread count changes the speed, not the result",
        "resume": "how the run was started; training.steps and the checkpoint say the rest",
        "skip_bad": "the images used are recorded as the training set's counts (training.images)",
        "augment": "written as the \"augment\" object, member by member (checked below)",
        "on_progress": "a callback",
    },
    "AugmentConfig": {
        "output_size": "equal to input_size, which is recorded",
    },
}


def members(header, struct):
    text = (ROOT / header).read_text()
    match = re.search(r"struct %s \{(.*?)\n\};" % struct, text, re.S)
    if not match:
        sys.exit(f"FAIL {header}: struct {struct} not found")
    names = []
    for line in match.group(1).splitlines():
        line = line.split("//")[0].strip()
        # A data member: TYPE NAME [= VALUE]; (a type may hold "()", as std::function<bool()>).
        found = re.match(r"[\w:<>,()\s]+?[\s&*>]([a-z_][a-z0-9_]*)\s*(=[^;]*)?;$", line)
        if found:
            names.append(found.group(1))
    return names


def main():
    trainer = (ROOT / "src/train/trainer.cpp").read_text()
    body = re.search(r"nlohmann::json config_to_json\(const TrainConfig& config\) \{(.*?)\n\}", trainer, re.S)
    if not body:
        print("FAIL src/train/trainer.cpp: config_to_json not found")
        return 1
    written = body.group(1)
    problems = []
    checked = 0
    for header, struct, prefix in [("src/train/trainer.hpp", "TrainConfig", "config."),
                                   ("src/augment/augment.hpp", "AugmentConfig", "a.")]:
        names = members(header, struct)
        if len(names) < 8:
            problems.append(f"{header}: only {len(names)} members of {struct} read; the parser needs a look")
        for name in names:
            checked += 1
            if name in NOT_RECORDED[struct]:
                continue
            if not re.search(r'\{"%s",\s*%s%s\}' % (name, re.escape(prefix), name), written):
                problems.append(f"{header}: {struct}::{name} is not written by config_to_json "
                                f"(record it in model.json, or say in this test why it changes nothing)")
    for problem in problems:
        print("FAIL " + problem)
    print(f"config record: {checked} settings of TrainConfig and AugmentConfig checked; {len(problems)} not recorded")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
