#!/usr/bin/python3
"""End-to-end tests of the instruction and exploitability passes on kernel
cores of the corpus programs (fpe, trap, wild_write): what the passes
conclude, printed by `test_instruction findings CORE` (one finding per line
"id|severity|title", evidence indented).

  insn.py CASE --coroner TEST_INSTRUCTION --bindir DIR
"""
import os
import platform
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402

X86 = platform.machine() in ("x86_64", "i386", "i686")


def findings(tool, core):
    p = subprocess.run([tool, "findings", core], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    out = p.stdout.decode(errors="replace")
    L.check(p.returncode == 0, "test_instruction findings failed",
            p.stderr.decode(errors="replace"))
    found = {}
    current = None
    for line in out.splitlines():
        if line.startswith("  ") and current is not None:
            found[current].append(line.strip())
        elif "|" in line:
            fid, severity, title = line.split("|", 2)
            current = fid
            found[fid] = [severity, title]
    return found, out


def rating(found):
    ev = found.get("security-rating", [])
    return next((e.split(": ", 1)[1] for e in ev if e.startswith("rating: ")), None)


def case_fpe(opts, wd):
    if not X86:
        L.skip("integer division by zero traps only on x86 (this is %s)" % platform.machine())
    core, _ = L.kernel_core(os.path.join(opts.bindir, "fpe"), [], wd,
                            expect_signal=signal.SIGFPE)
    found, out = findings(opts.coroner, core)
    L.check("divide-by-zero" in found, "no divide-by-zero finding", out)
    sev, title = found["divide-by-zero"][:2]
    L.check(sev == "error" and "divide by zero: the divisor of idiv" in title
            and title.endswith(" is 0"), "divide-by-zero not from the operand", out)
    L.check("division-overflow" not in found, "also a division overflow", out)
    insn = found.get("faulting-instruction", [])
    L.check(any(e.startswith("instruction: idiv") for e in insn),
            "the faulting instruction is not an idiv", out)
    L.check(any(e.startswith("=> ") and "idiv" in e for e in insn),
            "the listing does not mark the idiv", out)
    L.check(rating(found) == "none", "rated %r, not none" % rating(found), out)


def case_trap(opts, wd):
    core, _ = L.kernel_core(os.path.join(opts.bindir, "trap"), [], wd)
    found, out = findings(opts.coroner, core)
    L.check("intentional-trap" in found, "no intentional-trap finding", out)
    title = found["intentional-trap"][1]
    L.check(("ud2" if X86 else "brk") in title and "not corrupted code" in title,
            "the trap is not named", out)
    L.check("invalid-instruction" not in found, "also an invalid instruction", out)
    L.check(rating(found) == "none", "rated %r, not none" % rating(found), out)


def case_wild_write(opts, wd):
    core, _ = L.kernel_core(os.path.join(opts.bindir, "wild_write"), [], wd,
                            expect_signal=signal.SIGSEGV)
    found, out = findings(opts.coroner, core)
    insn = found.get("faulting-instruction", [])
    L.check(insn, "no faulting-instruction finding", out)
    if platform.machine() == "x86_64":
        want = "wrote 4 bytes at 0x4141414141414141 (non-canonical)"
        L.check(any(e.startswith("memory access: " + want) for e in insn),
                "the access does not name the non-canonical address", out)
        L.check(any("accessed 0x4141414141414141 (non-canonical)" in e for e in insn),
                "the detail does not say the kernel hid the address", out)
    else:
        L.check(any("wrote 4 bytes at 0x4141414141414141" in e or
                    "wrote 4 bytes at 0x41414141" in e for e in insn),
                "the access does not name the address", out)
    ev = found.get("security-rating", [])
    L.check(rating(found) == "high" and any("attacker-like" in e for e in ev),
            "rated %r, not high for an attacker-like pointer" % rating(found), out)


CASES = {"fpe": case_fpe, "trap": case_trap, "wild_write": case_wild_write}

if __name__ == "__main__":
    L.case_main(CASES, "insn", options=(("--bindir", {"required": True}),))
