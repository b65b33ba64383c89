"""corewriter.py - write small Linux ELF core files from scratch, for the
hostile-input tests (tests/hostile/*.py).

A Core is built up in Python and written with Core.bytes():

    c = Core("x86_64")
    c.load(0x7ffd0000, stack_bytes, flags="rw")     # PT_LOAD with data
    c.load(0x400000, b"", size=0x1000, flags="rx")   # mapped, not captured
    c.thread(tid=100, regs={"rip": 0x401000, "rsp": 0x7ffd0100}, signo=11)
    c.psinfo(pid=100, fname="victim", args="victim --x")
    c.siginfo(signo=11, code=1, addr=0)
    c.auxv([(AT_PHDR, ...), ...])
    c.nt_file([(start, end, pgoff_bytes, "/usr/lib/libc.so.6"), ...])
    open(path, "wb").write(c.bytes())

Layouts are the kernel's (include/uapi/linux/elfcore.h, the psABI's
user_regs_struct) for x86_64, i386 and aarch64.  Notes are written in the
order they are added (the kernel writes NT_PRSTATUS of the crashing
thread first, then NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE); the program
headers are PT_NOTE then the PT_LOADs in the order added.  Nothing here
checks that what is written makes sense: lying is the point.
"""

import struct

PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE, NT_SIGINFO = 1, 3, 6, 0x46494c45, 0x53494749
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_ENTRY = 0, 3, 4, 5, 6, 7, 9
AT_EXECFN, AT_SYSINFO_EHDR = 31, 33

ARCHS = {
    # machine, 64-bit, user_regs_struct order
    "x86_64": (62, True, ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
                          "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags",
                          "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs"]),
    "i386": (3, False, ["ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs",
                        "orig_eax", "eip", "cs", "eflags", "esp", "ss"]),
    "aarch64": (183, True, ["x%d" % i for i in range(31)] + ["sp", "pc", "pstate"]),
}


def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


def note(name, ntype, desc):
    """One ELF note (name and desc padded to 4 bytes, as the kernel writes
    them in cores)."""
    n = name.encode() + b"\0" if isinstance(name, str) else name
    return struct.pack("<III", len(n), len(desc), ntype) + _pad4(n) + _pad4(desc)


class Core:
    def __init__(self, arch="x86_64"):
        self.arch = arch
        self.machine, self.is64, self.regnames = ARCHS[arch]
        self.w = 8 if self.is64 else 4
        self.wfmt = "<Q" if self.is64 else "<I"
        self.loads = []     # (vaddr, data, memsz, flags)
        self.notes = []     # raw note bytes

    # --- memory ---------------------------------------------------------
    def load(self, vaddr, data=b"", size=None, flags="rw"):
        """A PT_LOAD at VADDR with DATA in the file; SIZE (memsz) defaults to
        len(DATA) rounded up to a page.  FLAGS: any of r, w, x."""
        memsz = size if size is not None else max(0x1000, (len(data) + 0xfff) & ~0xfff)
        self.loads.append((vaddr, bytes(data), memsz, flags))
        return self

    def words(self, *vals):
        """Pack pointer-sized words in this core's byte order."""
        return b"".join(struct.pack(self.wfmt, v & ((1 << (8 * self.w)) - 1)) for v in vals)

    # --- notes ----------------------------------------------------------
    def raw_note(self, name, ntype, desc):
        self.notes.append(note(name, ntype, desc))
        return self

    def thread(self, tid, regs, signo=0, utime_us=0, stime_us=0, orig=-1):
        """NT_PRSTATUS for thread TID with REGS {name: value} (names of
        this arch's user_regs_struct; unnamed ones are 0).  ORIG is
        orig_rax/orig_eax (the system call number, -1 none)."""
        regs = dict(regs)
        if self.arch == "x86_64":
            regs.setdefault("orig_rax", orig)
        elif self.arch == "i386":
            regs.setdefault("orig_eax", orig)
        w, f = self.w, self.wfmt
        mask = (1 << (8 * w)) - 1
        d = struct.pack("<iii", signo, 0, 0) + struct.pack("<h", signo) + b"\0\0"
        d += b"\0" * (2 * w)                                   # sigpend, sighold
        d += struct.pack("<iiii", tid, 1, tid, tid)            # pid ppid pgrp sid
        for us in (utime_us, stime_us, 0, 0):
            d += struct.pack(f, us // 1000000) + struct.pack(f, us % 1000000)
        d += b"".join(struct.pack(f, regs.get(r, 0) & mask) for r in self.regnames)
        d += b"\0" * w                                         # pr_fpvalid + pad
        return self.raw_note("CORE", NT_PRSTATUS, d)

    def psinfo(self, pid=1, fname="victim", args="victim", uid=0, gid=0, ppid=1):
        if self.is64:
            d = struct.pack("<bbbbxxxxQIIiiii", 0, ord("R"), 0, 0, 0, uid, gid, pid, ppid, pid, pid)
        else:
            d = struct.pack("<bbbbIHHiiii", 0, ord("R"), 0, 0, 0, uid, gid, pid, ppid, pid, pid)
        d += fname.encode()[:16].ljust(16, b"\0") + args.encode()[:80].ljust(80, b"\0")
        return self.raw_note("CORE", NT_PRPSINFO, d)

    def siginfo(self, signo=11, code=1, addr=0, errno=0, pid=0, uid=0):
        """NT_SIGINFO.  For SI_USER-style codes (code <= 0) the sender's
        pid/uid are written where si_addr would be."""
        d = struct.pack("<iii", signo, errno, code) + b"\0" * (self.w - 4 if self.is64 else 0)
        if code <= 0:
            d += struct.pack("<iI", pid, uid)
        else:
            d += struct.pack(self.wfmt, addr)
        return self.raw_note("CORE", NT_SIGINFO, d.ljust(128, b"\0"))

    def auxv(self, pairs):
        pairs = list(pairs)
        if not pairs or pairs[-1][0] != AT_NULL:
            pairs.append((AT_NULL, 0))
        return self.raw_note("CORE", NT_AUXV, b"".join(self.words(t, v) for t, v in pairs))

    def nt_file(self, entries, page_size=0x1000, count=None):
        """NT_FILE from (start, end, offset_in_bytes, path); COUNT overrides
        the count field (to lie)."""
        n = len(entries) if count is None else count
        d = self.words(n, page_size)
        for s, e, off, _ in entries:
            d += self.words(s, e, off // page_size)
        d += b"".join(p.encode() + b"\0" for _, _, _, p in entries)
        return self.raw_note("CORE", NT_FILE, d)

    # --- output ---------------------------------------------------------
    def bytes(self, align=0x1000):
        """The core file.  ALIGN: file alignment of the PT_LOAD data (the
        kernel's is a page; 1 writes the smallest file, for fuzz seeds)."""
        w = self.w
        ehsize, phentsize = (64, 56) if self.is64 else (52, 32)
        phnum = 1 + len(self.loads)
        notes = b"".join(self.notes)
        off = ehsize + phnum * phentsize
        note_off = off
        off += len(notes)
        off = (off + align - 1) & ~(align - 1)
        phdrs = []
        if self.is64:
            phdrs.append(struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0, len(notes), 0, 1))
        else:
            phdrs.append(struct.pack("<IIIIIIII", PT_NOTE, note_off, 0, 0, len(notes), 0, 0, 1))
        data = []
        for vaddr, blob, memsz, flags in self.loads:
            pf = (4 if "r" in flags else 0) | (2 if "w" in flags else 0) | (1 if "x" in flags else 0)
            if self.is64:
                phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, pf, off, vaddr, 0, len(blob), memsz, 0x1000))
            else:
                phdrs.append(struct.pack("<IIIIIIII", PT_LOAD, off, vaddr, 0, len(blob), memsz, pf, 0x1000))
            data.append((off, blob))
            off += len(blob)
            off = (off + align - 1) & ~(align - 1) if blob else off
        ident = b"\x7fELF" + bytes([2 if self.is64 else 1, 1, 1, 0]) + b"\0" * 8
        if self.is64:
            eh = ident + struct.pack("<HHIQQQIHHHHHH", 4, self.machine, 1, 0, ehsize, 0, 0,
                                     ehsize, phentsize, phnum, 0, 0, 0)
        else:
            eh = ident + struct.pack("<HHIIIIIHHHHHH", 4, self.machine, 1, 0, ehsize, 0, 0,
                                     ehsize, phentsize, phnum, 0, 0, 0)
        out = bytearray(eh + b"".join(phdrs))
        out += b"\0" * (note_off - len(out)) + notes
        for o, blob in data:
            if len(out) < o:
                out += b"\0" * (o - len(out))
            out[o:o + len(blob)] = blob
        return bytes(out)


# --- ELF images in memory (additions for the module tests) -----------------

PT_DYNAMIC, PT_INTERP, PT_PHDR, PT_NOTE_ = 2, 3, 6, 4
DT_NULL, DT_STRTAB, DT_SONAME, DT_DEBUG = 0, 5, 14, 21


def elf_image(arch, phdrs, size=0x1000, etype=3):
    """The first SIZE bytes of a mapped ELF file as a core holds them: the
    ELF header and, at 0x40 (0x34 for 32-bit), the program headers PHDRS,
    each (p_type, p_vaddr, p_filesz, p_memsz, flags "rwx", p_offset).
    Returns a bytearray for the caller to fill in (dynamic section,
    strings).  ETYPE 3 is ET_DYN, 2 ET_EXEC."""
    machine, is64, _ = ARCHS[arch]
    ehsize, phentsize = (64, 56) if is64 else (52, 32)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1, 0]) + b"\0" * 8
    if is64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, 0, ehsize, 0, 0,
                                 ehsize, phentsize, len(phdrs), 0, 0, 0)
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", etype, machine, 1, 0, ehsize, 0, 0,
                                 ehsize, phentsize, len(phdrs), 0, 0, 0)
    out = bytearray(eh)
    for ptype, vaddr, filesz, memsz, flags, offset in phdrs:
        pf = (4 if "r" in flags else 0) | (2 if "w" in flags else 0) | (1 if "x" in flags else 0)
        if is64:
            out += struct.pack("<IIQQQQQQ", ptype, pf, offset, vaddr, vaddr, filesz, memsz, 8)
        else:
            out += struct.pack("<IIIIIIII", ptype, offset, vaddr, vaddr, filesz, memsz, pf, 4)
    out += b"\0" * (size - len(out))
    return out


def poke(buf, off, data):
    """Write DATA into the bytearray BUF at OFF."""
    buf[off:off + len(data)] = data
