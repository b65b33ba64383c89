"""Lying heaps: synthetic cores (corewriter.py) whose glibc malloc heap
lies, walked by the heap pass (the tool tests/heapwalk.c).

  heap_lies.py CASE --heapwalk PATH

Each core maps a libc ("/nonexistent/libc.so.6": no host file, no
symbols, so the main arena is found by its shape) whose data holds a
malloc_state of glibc 2.30+ (x86_64) and a brk heap of known chunks:
a tcache_perthread_struct, 8 chunks of 0x30, then the top chunk.

  sound          the control: 8 chunks of 0x30 in use, no finding
  size-past      a chunk's size runs past the heap: a finding, no crash
  size-zero      a chunk's size is 0: a finding, no hang
  fastbin-loop   a fastbin whose chunk links to itself: a finding, no hang
  bin-loop       a small bin whose two chunks link to each other and never
                 back to the bin: a finding, no hang
  arena-elsewhere a second arena whose heap_info names another arena:
                 a finding
  heap-loop      a second arena whose top heap's heap_info.prev points at
                 itself: one finding, the walk ends at once (it followed
                 the loop 4096 times per arena)
  mmapped-beside-arena  a second arena's heap and, in the same mapping
                 just below it, an mmapped chunk of 0x3000: the chunk is
                 found (it was missed: the whole mapping was taken as
                 the arena's), no finding
  glibc-2.42     a heap of glibc 2.42 (libc-2.42.so): its tcache is 2.42's
                 tcache_perthread_struct (num_slots[76], entries[76]: a
                 chunk of 0x300) holding 3 of the 0x30 chunks in small
                 bin 1 and two large chunks (0x500, 0x600) in large bin 64;
                 those 5 are free, the tcache internal, no finding
  glibc-2.42-unnamed  the same in a libc whose version is not known: the
                 tcache's size picks 2.42's layout
  glibc-2.43     the sound heap in a libc named libc-2.43.so, a version
                 whose tcache layout the walk does not know: it says so
                 (a problem line), walks the chunks, claims no tcache
Exit 0 pass, 1 fail, 77 skip.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402
import corewriter as CW  # noqa: E402

LIBC = 0x7f0000000000
DATA = LIBC + 0x10000          # libc's .data
ARENA = DATA + 0x100           # main_arena
HEAP = 0x555555560000          # the brk heap
HEAP_SIZE = 0x21000
HEAP2 = 0x7e0004000000         # a non-main arena's heap (64 MiB aligned)
HEAP3 = 0x7e0008000000         # its second heap (heap-loop)
MMAPPED = 0x3000               # an mmapped chunk below HEAP2
STACK = 0x7ffd0000
EXE = 0x400000
TIMEOUT = 20
# What the finding for each lie must say.
EXPECT = {
    "size-past": "runs past its heap's end",
    "size-zero": "a chunk's size is 0",
    "fastbin-loop": "fastbin list holds a free chunk twice",
    "bin-loop": "a bin's list is broken",
    "arena-elsewhere": "names arena 0x7e0008000020",
    "heap-loop": "loops back to the heap 0x7e0008000000",
}

# struct malloc_state, glibc 2.30+, x86_64 (heap_glibc.c's table).
FASTBINS, TOP, BINS = 16, 96, 112
NEXT, SYSTEM_MEM, STATE_SIZE = 2160, 2184, 2200
TCACHE_CHUNK = 0x290
NCHUNKS, CHUNK = 8, 0x30
# glibc 2.42's tcache: num_slots[76] (uint16_t), entries[76]; 7 slots a bin
# (TCACHE_FILL_COUNT); bin 1 holds 0x30, large bin 64 the chunks of
# 0x420 to 0x7ff.
TCACHE_242, TCACHE_BINS_242, FILL = 0x300, 76, 7
CACHED = (1, 4, 6)             # the 0x30 chunks in tcache bin 1
LARGE = (0x500, 0x600)         # the chunks in large bin 64, sorted


def bin_at(arena, i):
    return arena + BINS + (i - 1) * 16 - 16


def arena_bytes(c, arena, top, nxt, sysmem):
    a = bytearray(STATE_SIZE)
    for i in range(1, 128):
        CW.poke(a, BINS + (i - 1) * 16, c.words(bin_at(arena, i), bin_at(arena, i)))
    CW.poke(a, TOP, c.words(top))
    CW.poke(a, NEXT, c.words(nxt))
    CW.poke(a, NEXT + 16, c.words(1))          # attached_threads
    CW.poke(a, SYSTEM_MEM, c.words(sysmem, sysmem))
    return a


def heap_bytes(c, base, size, first=0, tcache=TCACHE_CHUNK, large=()):
    """tcache, NCHUNKS chunks of CHUNK in use, the LARGE chunks, top;
    returns (bytes, chunk addresses, top)."""
    h = bytearray(size)
    p = first
    CW.poke(h, p + 8, c.words(tcache | 1))
    p += tcache
    chunks = []
    for n in [CHUNK] * NCHUNKS + list(large):
        CW.poke(h, p + 8, c.words(n | 1))
        chunks.append(base + p)
        p += n
    CW.poke(h, p + 8, c.words((size - p) | 1))
    return h, chunks, base + p


def tcache_242(c, heap, chunks):
    """Fill the 2.42 tcache at the heap's start: CACHED in bin 1, the
    large chunks in bin 64, links safe-linked (PROTECT_PTR at the link's
    own address), num_slots the fill count less the entries."""
    t = 0x10                   # the tcache's user bytes in the heap
    bins = {1: [chunks[i] for i in CACHED], 64: chunks[NCHUNKS:]}
    for b in range(TCACHE_BINS_242):
        held = bins.get(b, [])
        CW.poke(heap, t + 2 * b, (FILL - len(held)).to_bytes(2, "little"))
        if not held:
            continue
        CW.poke(heap, t + 2 * TCACHE_BINS_242 + 8 * b, c.words(held[0] + 16))
        for x, nxt in zip(held, held[1:] + [None]):
            link = x + 16
            CW.poke(heap, link - HEAP, c.words((link >> 12) ^ (nxt + 16 if nxt else 0)))


def core(case):
    c = CW.Core("x86_64")
    if case.startswith("glibc-2.42"):
        heap, chunks, top = heap_bytes(c, HEAP, HEAP_SIZE, tcache=TCACHE_242,
                                       large=LARGE)
        tcache_242(c, heap, chunks)
    else:
        heap, chunks, top = heap_bytes(c, HEAP, HEAP_SIZE)
    nxt = ARENA
    extra = []
    if case == "size-past":
        CW.poke(heap, chunks[3] - HEAP + 8, c.words(0x100000 | 1))
    elif case == "size-zero":
        CW.poke(heap, chunks[3] - HEAP + 8, c.words(0))
    elif case == "arena-elsewhere":
        nxt = HEAP2 + 0x20
        h2, _, top2 = heap_bytes(c, HEAP2, 0x21000, first=0x20 + STATE_SIZE + 8)
        # heap_info: ar_ptr (a lie), prev, size, mprotect_size
        CW.poke(h2, 0, c.words(0x7e0008000020, 0, 0x21000, 0x21000))
        CW.poke(h2, 0x20, arena_bytes(c, HEAP2 + 0x20, top2, ARENA, 0x21000))
        extra.append((HEAP2, bytes(h2)))
    elif case == "heap-loop":
        nxt = HEAP2 + 0x20
        h2 = bytearray(0x1000)
        CW.poke(h2, 0, c.words(HEAP2 + 0x20, 0, 0x21000, 0x21000))
        h3, _, top3 = heap_bytes(c, HEAP3, 0x21000, first=0x20)
        CW.poke(h3, 0, c.words(HEAP2 + 0x20, HEAP3, 0x21000, 0x21000))
        CW.poke(h2, 0x20, arena_bytes(c, HEAP2 + 0x20, top3, ARENA, 0x42000))
        extra += [(HEAP2, bytes(h2)), (HEAP3, bytes(h3))]
    elif case == "mmapped-beside-arena":
        nxt = HEAP2 + 0x20
        h2, _, top2 = heap_bytes(c, HEAP2, 0x21000, first=0x20 + STATE_SIZE + 8)
        CW.poke(h2, 0, c.words(HEAP2 + 0x20, 0, 0x21000, 0x21000))
        CW.poke(h2, 0x20, arena_bytes(c, HEAP2 + 0x20, top2, ARENA, 0x21000))
        # One mapping: the mmapped chunk (prev_size 0, size | IS_MMAPPED)
        # right below the heap, as mmap places it.
        m = bytearray(MMAPPED)
        CW.poke(m, 0, c.words(0, MMAPPED | 2))
        extra.append((HEAP2 - MMAPPED, bytes(m) + bytes(h2)))
    arena = arena_bytes(c, ARENA, top, nxt, HEAP_SIZE)
    safe = lambda pos, ptr: (pos >> 12) ^ ptr  # noqa: E731  PROTECT_PTR
    if case == "fastbin-loop":
        # chunk 2 in fastbin 1 (0x30), its fd protected and pointing at itself
        x = chunks[2]
        CW.poke(arena, FASTBINS + 8, c.words(x))
        CW.poke(heap, x - HEAP + 16, c.words(safe(x + 16, x)))
    elif case == "bin-loop":
        # chunks 2 and 5 free in small bin 3 (0x30): next chunks' PREV_INUSE
        # cleared and prev_size set, fd/bk linking them to each other only.
        x, y = chunks[2], chunks[5]
        for p in (x, y):
            CW.poke(heap, p + CHUNK - HEAP, c.words(CHUNK, CHUNK))
        CW.poke(heap, x - HEAP + 16, c.words(y, bin_at(ARENA, 3)))
        CW.poke(heap, y - HEAP + 16, c.words(x, x))
        CW.poke(arena, BINS + 2 * 16, c.words(x, y))
    data = bytearray(0x2000)
    CW.poke(data, ARENA - DATA, arena)
    data = bytes(data)
    exe = CW.elf_image("x86_64", [(CW.PT_LOAD, 0, 0x1000, 0x1000, "rx", 0)], size=0x1000, etype=2)
    c.load(EXE, bytes(exe[:0x100]), size=0x1000, flags="rx")
    img = CW.elf_image("x86_64", [(CW.PT_LOAD, 0, 0x1000, 0x2000, "rx", 0)], size=0x1000)
    c.load(LIBC, bytes(img[:0xc0]), size=0x2000, flags="rx")
    c.load(DATA, data, flags="rw")
    c.load(HEAP, bytes(heap), flags="rw")
    for base, b in extra:
        c.load(base, b, flags="rw")
    c.load(STACK, b"\0" * 0x100, size=0x1000, flags="rw")
    c.thread(tid=4242, regs={"rip": EXE + 0x100, "rsp": STACK + 0x80}, signo=6)
    c.psinfo(pid=4242, fname="victim", args="victim")
    c.siginfo(signo=6, code=0, addr=0)
    lib = {"glibc-2.42": "/nonexistent/libc-2.42.so",
           "glibc-2.43": "/nonexistent/libc-2.43.so"}.get(case, "/nonexistent/libc.so.6")
    c.nt_file([(EXE, EXE + 0x1000, 0, "/nonexistent/victim"),
               (LIBC, LIBC + 0x2000, 0, lib),
               (DATA, DATA + len(data), 0x10000, lib)])
    return c, chunks


def run(case, args):
    wd = L.workdir("heap_lies-" + case)
    c, chunks = core(case)
    path = os.path.join(wd, "core")
    with open(path, "wb") as f:
        f.write(c.bytes())
    try:
        r = subprocess.run([args.heapwalk, path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        check(False, "%s: the walk did not end within %ds" % (case, TIMEOUT))
    out = r.stdout.decode(errors="replace")
    check(r.returncode == 0, "%s: heapwalk exited %d" % (case, r.returncode),
          out, r.stderr.decode(errors="replace"))
    check("walked 1" in out, "%s: the arena was not found by its shape" % case, out)
    corrupt = [l for l in out.splitlines() if l.startswith("finding heap-corruption")]
    if case.startswith("glibc-2.42"):
        check(not corrupt, "a finding on a sound heap", out)
        if case == "glibc-2.42":
            check("allocator glibc malloc 2.42\n" in out, "version not read", out)
        check(not any(l.startswith("problem") and "tcache" in l
                      for l in out.splitlines()),
              "a problem line about the tcache", out)
        check("chunk internal %d 1\n" % TCACHE_242 in out,
              "2.42's tcache not found", out)
        check("chunk free %d %d\n" % (CHUNK, len(CACHED)) in out,
              "the %d chunks of 0x30 in tcache bin 1 not free" % len(CACHED), out)
        check("chunk in_use %d %d\n" % (CHUNK, NCHUNKS - len(CACHED)) in out,
              "the other 0x30 chunks not in use", out)
        for n in LARGE:
            check("chunk free %d 1\n" % n in out,
                  "the chunk of 0x%x in large tcache bin 64 not free" % n, out)
    elif case == "glibc-2.43":
        check(not corrupt, "a finding on a sound heap", out)
        check("allocator glibc malloc 2.43\n" in out, "version not read", out)
        check(any(l.startswith("problem") and "tcache layout is not known" in l
                  for l in out.splitlines()),
              "no problem line saying the tcache layout is unknown", out)
        check("chunk in_use %d %d\n" % (CHUNK, NCHUNKS) in out,
              "the 8 chunks of 0x30 not found in use", out)
        check("chunk internal" not in out, "a tcache claimed", out)
    elif case == "mmapped-beside-arena":
        check(not corrupt, "a finding on a sound heap", out)
        check("chunk mmapped %d 1\n" % MMAPPED in out,
              "the mmapped chunk beside the arena's heap not found", out)
        check("arenas 2\n" in out, "the second arena not found", out)
    elif case == "sound":
        check(not corrupt, "a finding on a sound heap", out)
        check("chunk in_use %d %d\n" % (CHUNK, NCHUNKS) in out,
              "the 8 chunks of 0x30 not found in use", out)
        check("chunk internal %d 1\n" % TCACHE_CHUNK in out, "tcache not found", out)
    else:
        check(any(EXPECT[case] in l for l in corrupt),
              "%s: no heap-corruption finding saying %r" % (case, EXPECT[case]), out)
    if case == "heap-loop":
        n = sum(EXPECT[case] in l for l in corrupt)
        check(n == 1, "heap-loop: %d findings of the loop, not 1" % n, out)
    print("%s: %s" % (case, corrupt[0] if corrupt else "no finding"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--heapwalk", required=True)
    args = ap.parse_args()
    L.main_wrapper(lambda: run(args.case, args))


if __name__ == "__main__":
    main()
