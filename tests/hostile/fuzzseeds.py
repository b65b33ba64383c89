"""fuzzseeds.py - fuzz seeds for tests/fuzz_analyze.c that reach the module
enumeration of formats/elfcore_modules.c, written with corewriter.py:

  fuzzseeds.py OUTDIR

Each seed is a small core (align 1) of a dynamically linked program: the
auxv (AT_PHDR/AT_PHENT/AT_PHNUM, AT_BASE, AT_SYSINFO_EHDR, AT_EXECFN)
leads to the executable's program headers in memory (PT_PHDR, PT_LOAD,
PT_DYNAMIC, PT_INTERP, PT_NOTE with a build id), DT_DEBUG to r_debug and
the link map; each library is an ELF image in memory with PT_LOAD,
PT_DYNAMIC (DT_STRTAB, DT_SONAME) and a build-id note; the dynamic linker
and a vdso linked at its kernel address are images too, and one image is
named by nothing.  Variants: i386 and aarch64, without NT_FILE (as
qemu-user writes cores), a prelinked library (its header found by the
look-back below l_ld), a link map that loops.  timeout-notes-lookback is
the regression input of a fuzz finding (lying_link_map()).
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corewriter as CW  # noqa: E402

AT_BASE = 7
EXE, STACK, VDSO = 0x400000, 0x7ffd0000, 0x7fff0000


def buildid_note(bid):
    return CW.note("GNU", 3, bid)


def core(arch="x86_64", names=("libc.so.6","/lib/libm.so.6","rel/libx.so"), nt_file=True, vdso=True, interp=True,
         execfn=True, prelink=False, cycle=False, buildid=True):
    c = CW.Core(arch); w = c.w; ph = 56 if c.is64 else 32
    LIB0 = 0x7f0000000000 if c.is64 else 0x40000000; LD = 0x7f1000000000 if c.is64 else 0x60000000
    phdrs = [(CW.PT_PHDR, 0x40 if c.is64 else 0x34, 5*ph, 5*ph, "r", 0x40),
             (CW.PT_LOAD, 0, 0x2000, 0x2000, "rx", 0),
             (CW.PT_DYNAMIC, 0x400, 4*w, 4*w, "rw", 0x400),
             (CW.PT_INTERP, 0x300, 28, 28, "r", 0x300),
             (CW.PT_NOTE, 0x340, 36, 36, "r", 0x340)]
    exe = CW.elf_image(arch, phdrs, size=0x2000, etype=2)
    CW.poke(exe, 0x300, b"/lib64/ld-linux-x86-64.so.2\0")
    if buildid: CW.poke(exe, 0x340, buildid_note(bytes(range(1,21))))
    CW.poke(exe, 0x3a0, b"/usr/bin/victim\0")
    r_debug, lm0 = 0x440, 0x480
    CW.poke(exe, 0x400, c.words(CW.DT_DEBUG, EXE + r_debug, CW.DT_NULL, 0))
    CW.poke(exe, r_debug, c.words(1, EXE + lm0))
    entries = [(0, b"")] + [(LIB0 + (k << 20), n.encode()) for k, n in enumerate(names)]
    s_at = 0x600
    for i, (base, name) in enumerate(entries):
        at = lm0 + i * 5 * w
        nxt = EXE + lm0 + (i + 1) * 5 * w if i + 1 < len(entries) else 0
        if cycle and i + 1 == len(entries): nxt = EXE + lm0 + 5*w
        l_ld = base + 0x300 if base else EXE + 0x400
        if prelink and i == 1: l_ld = base + 0x3000 + 0x300
        CW.poke(exe, at, c.words(base, EXE + s_at, l_ld, nxt, 0))
        CW.poke(exe, s_at, name + b"\0"); s_at += len(name) + 1
    c.load(EXE, bytes(exe[:s_at]), size=0x2000, flags="rx")
    files = [(EXE, EXE+0x2000, 0, "/usr/bin/victim")]
    for k, n in enumerate(names):
        base = LIB0 + (k << 20)
        img = CW.elf_image(arch, [
            (CW.PT_LOAD, 0x3000 if (prelink and k == 0) else 0, 0x1100, 0x2000, "rx", 0),
            (CW.PT_DYNAMIC, 0x300, 4*w, 4*w, "rw", 0x300),
            (CW.PT_NOTE, 0x200, 16+8, 16+8, "r", 0x200),
        ], size=0x1100)
        CW.poke(img, 0x200, buildid_note(bytes([k+1])*8))
        CW.poke(img, 0x300, c.words(CW.DT_STRTAB, 0x380, CW.DT_SONAME, 1))
        CW.poke(img, 0x380, b"\0soname%d.so\0" % k)
        hdrbase = base + 0x3000 if (prelink and k == 0) else base
        c.load(hdrbase, bytes(img[:0x3a0]), size=0x2000, flags="rx")
        files.append((hdrbase, hdrbase + 0x2000, 0, n))
    aux = [(CW.AT_PHDR, EXE + (0x40 if c.is64 else 0x34)), (CW.AT_PHENT, ph), (CW.AT_PHNUM, 5),
           (CW.AT_PAGESZ, 0x1000), (CW.AT_ENTRY, EXE + 0x100)]
    if interp:
        img = CW.elf_image(arch, [(CW.PT_LOAD, 0, 0x1000, 0x3000, "rx", 0),
                                  (CW.PT_DYNAMIC, 0x200, 4*w, 4*w, "rw", 0x200)], size=0x300)
        CW.poke(img, 0x200, c.words(CW.DT_STRTAB, LD + 0x280, CW.DT_SONAME, 0))
        CW.poke(img, 0x280, b"ld-linux.so.2\0")
        c.load(LD, bytes(img), size=0x3000, flags="rx"); aux.append((AT_BASE, LD))
        files.append((LD, LD+0x3000, 0, "/lib64/ld-linux-x86-64.so.2"))
    if vdso:
        V = 0xffffffffff700000 if c.is64 else 0xffffe000
        img = CW.elf_image(arch, [(CW.PT_LOAD, V, 0x1000, 0x2000, "rx", 0),
                                  (CW.PT_DYNAMIC, V+0x200, 6*w, 6*w, "rw", 0x200),
                                  (CW.PT_NOTE, V+0x2a0, 24, 24, "r", 0x2a0)], size=0x2c0)
        CW.poke(img, 0x200, c.words(CW.DT_STRTAB, V+0x260, CW.DT_SONAME, 0, CW.DT_NULL, 0))
        CW.poke(img, 0x260, b"linux-vdso.so.1\0")
        CW.poke(img, 0x2a0, buildid_note(b"\xaa"*8))
        c.load(VDSO, bytes(img), size=0x2000, flags="rx"); aux.append((CW.AT_SYSINFO_EHDR, VDSO))
    if execfn: aux.append((CW.AT_EXECFN, EXE + 0x3a0))
    # a stray ELF image not named by anything
    img = CW.elf_image(arch, [(CW.PT_LOAD, 0, 0x800, 0x1000, "r", 0),
                              (CW.PT_DYNAMIC, 0x100, 4*w, 4*w, "rw", 0x100)], size=0x180)
    CW.poke(img, 0x100, c.words(CW.DT_STRTAB, 0x7e000000 + 0x140, CW.DT_SONAME, 0))
    CW.poke(img, 0x140, b"libstray.so\0")
    c.load(0x7e000000, bytes(img), size=0x1000, flags="r")
    c.load(STACK, c.words(EXE+0x100)*32, size=0x1000, flags="rw")
    regs = {"rip": EXE + 0x100, "rsp": STACK + 0x80} if arch=="x86_64" else ({"eip": EXE+0x100, "esp": STACK+0x80} if arch=="i386" else {"pc": EXE+0x100, "sp": STACK+0x80})
    c.thread(tid=4242, regs=regs, signo=11)
    c.psinfo(pid=4242, fname="victim", args="victim")
    c.siginfo(signo=11, code=1, addr=0)
    c.auxv(aux)
    if nt_file: c.nt_file(files)
    return c


def lying_link_map(n=4200):
    """The regression input of the first fuzz finding: N overlapping
    link-map entries (entry k at A+8k, so l_next is the entry's fourth word
    and every entry costs 8 bytes) whose l_addr is no image and whose l_ld
    lies above 16 regions that all hold one ELF image with 127 PT_NOTEs of
    4 KiB of empty notes each: every look-back reads the 16 images."""
    N = n
    NIMG = 16
    c = CW.Core("x86_64"); w = 8
    EXE = 0x400000; A0 = 0x10000000; A = A0 + 1; IMG0 = 0x0f000000; STACK = 0x7ffd0000
    exe = CW.elf_image("x86_64", [(CW.PT_PHDR, 0x40, 3*56, 3*56, "r", 0x40),
                                   (CW.PT_LOAD, 0, 0x1000, 0x1000, "rx", 0),
                                   (CW.PT_DYNAMIC, 0x200, 4*w, 4*w, "rw", 0x200)], size=0x300, etype=2)
    CW.poke(exe, 0x200, c.words(CW.DT_DEBUG, EXE + 0x280, CW.DT_NULL, 0))
    CW.poke(exe, 0x280, c.words(1, A))
    c.load(EXE, bytes(exe), size=0x1000, flags="rx")
    img = CW.elf_image("x86_64", [(CW.PT_LOAD, 0, 0x2000, 0x2000, "rx", 0)] +
                       [(CW.PT_NOTE, 0x1000, 0x1000, 0x1000, "r", 0x1000)] * 127, size=0x2000)
    for k in range(NIMG):
        c.load(IMG0 + k * 0x10000, bytes(img) if k == 0 else b"", size=0x2000, flags="rx")
    words = [0, 0, 0] + [A + 8 * (j - 2) for j in range(3, N + 3)] + [0] * 4
    arr = b"\x55" + c.words(*words)
    c.load(A0, arr, size=(len(arr) + 0xfff) & ~0xfff, flags="rw")
    c.load(STACK, b"\0" * 0x100, size=0x1000, flags="rw")
    c.thread(tid=1, regs={"rip": EXE + 0x100, "rsp": STACK + 0x80}, signo=11)
    c.auxv([(CW.AT_PHDR, EXE + 0x40), (CW.AT_PHENT, 56), (CW.AT_PHNUM, 3)])
    b = bytearray(c.bytes(align=1))
    # make every image PT_LOAD share the first one's file bytes
    phoff = 64
    first = None
    for i in range(struct.unpack_from("<H", b, 56)[0]):
        o = phoff + i * 56
        t, fl, off, va, pa, fs, ms, al = struct.unpack_from("<IIQQQQQQ", b, o)
        if t == 1 and IMG0 <= va < IMG0 + NIMG * 0x10000:
            if first is None: first = (off, fs)
            else: struct.pack_into("<IIQQQQQQ", b, o, t, fl, first[0], va, pa, first[1], ms, al)
    return bytes(b)


VARIANTS = {
    "lm-x64-full": dict(),
    "lm-x64-nofile": dict(nt_file=False),
    "lm-i386-nofile": dict(arch="i386", nt_file=False),
    "lm-a64-prelink": dict(arch="aarch64", prelink=True, nt_file=False),
    "lm-x64-cycle-novdso": dict(cycle=True, vdso=False, execfn=False),
    "lm-x64-prelink": dict(prelink=True, interp=False),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, kw in VARIANTS.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(core(**kw).bytes(align=1))
    with open(os.path.join(out, "timeout-notes-lookback"), "wb") as f:
        f.write(lying_link_map())


if __name__ == "__main__":
    main()
