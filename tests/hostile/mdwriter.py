"""mdwriter.py - write small Windows x64 minidumps from scratch, for the
hostile-input tests (the Python sibling of tests/mdsynth.c).

    m = Minidump()
    m.thread(tid=1, rip=0x401000, rsp=0x7ffd0800, stack_addr=0x7ffd0000,
             stack=b"\\0" * 0x1000)
    m.memory(0x10000000, b"bytes")
    m.module(0x140000000, 0x10000, "C:\\\\app\\\\app.exe")
    open(path, "wb").write(m.bytes())

Layouts are those of DbgHelp's minidumpapiset.h: the 32-byte
MINIDUMP_HEADER, 12-byte directory entries, MINIDUMP_THREAD (48 bytes),
MINIDUMP_MODULE (108 bytes), MINIDUMP_MEMORY_DESCRIPTOR (16 bytes),
MINIDUMP_SYSTEM_INFO (56 bytes), an AMD64 CONTEXT of 1232 bytes
(ContextFlags at 0x30, Rsp at 0x98, Rip at 0xf8).  Streams written:
SystemInfo, ThreadList, ModuleList, MemoryList, and an ExceptionStream
(MINIDUMP_EXCEPTION_STREAM, 168 bytes: thread id, the 152-byte
MINIDUMP_EXCEPTION record, the thread's context) when exception() was
called, and an UnloadedModuleList (12-byte header, 24-byte entries) when
unloaded() was.  A module's version goes into its VS_FIXEDFILEINFO
(signature 0xfeef04bd, dwFileVersionMS/LS).

Crashpad's annotations, when annotation() was called, go into a
CrashpadInfo stream (0x43500001, Crashpad's minidump_extensions.h): the
52-byte MinidumpCrashpadInfo (version, report and client ids, the
process's simple annotations, the module list), a
MinidumpSimpleStringDictionary (count, then key and value RVAs of
MinidumpUTF8Strings), and per module a MinidumpModuleCrashpadInfo (version
and three locations: list annotations as a MinidumpRVAList, simple
annotations as a dictionary, annotation objects as a MinidumpAnnotationList
of 12-byte entries: name RVA, type u16 (1: string), reserved, value RVA of a
MinidumpByteArray).
"""

import struct

THREAD_LIST, MODULE_LIST, MEMORY_LIST, EXCEPTION, SYSTEM_INFO = 3, 4, 5, 6, 7
UNLOADED_MODULE_LIST = 14
CRASHPAD_INFO = 0x43500001
CONTEXT_AMD64_FULL = 0x0010001f


class Minidump:
    def __init__(self):
        self.threads = []   # (tid, rip, rsp, stack_addr, stack)
        self.mems = []      # (addr, bytes)
        self.modules = []   # (base, size, name, version or None)
        self.unloaded_mods = []  # (base, size, name)
        self.repeats = []   # (addr, size, count, step)
        self.exc = None     # (tid, code, flags, address, params)
        self.annotations = []   # (module index or None, kind, key, value)
        self.report_id = bytes(16)

    def thread(self, tid, rip, rsp, stack_addr, stack):
        self.threads.append((tid, rip, rsp, stack_addr, bytes(stack)))
        return self

    def memory(self, addr, data):
        self.mems.append((addr, bytes(data)))
        return self

    def memory_repeated(self, addr, size, count, step=16):
        """COUNT descriptors of the range [ADDR, ADDR+SIZE), all over one
        blob of zeros, the Ith one's data starting STEP*I bytes into it
        (RVAs may repeat and overlap in a MemoryList)."""
        self.repeats.append((addr, size, count, step))
        return self

    def exception(self, tid, code, address, params=(), flags=0):
        """The exception of thread TID (which must be added with thread()):
        CODE (0xc0000005 an access violation), raised at ADDRESS, with up
        to 15 PARAMS."""
        self.exc = (tid, code, flags, address, tuple(params))
        return self

    def module(self, base, size, name, version=None):
        """VERSION: (a, b, c, d) for the file version a.b.c.d."""
        self.modules.append((base, size, name, version))
        return self

    def annotation(self, key, value, module=None, kind="simple"):
        """A Crashpad annotation KEY=VALUE of the process (MODULE None) or
        of the module with index MODULE.  KIND: "simple" (a dictionary
        entry), "list" (a list annotation: KEY is ignored) or "object" (a
        string annotation object; module only)."""
        self.annotations.append((module, kind, key, value))
        return self

    def unloaded(self, base, size, name):
        self.unloaded_mods.append((base, size, name))
        return self

    def bytes(self):
        out = bytearray(32)     # header, written last
        blobs = {}

        def put(b):
            while len(out) % 4:
                out.append(0)
            rva = len(out)
            out.extend(b)
            return rva

        # Blobs first: contexts, stacks, memory, names.
        threads = []
        for tid, rip, rsp, saddr, stack in self.threads:
            key = ("stack", saddr, stack)
            if key not in blobs:
                blobs[key] = put(stack)
            ctx = bytearray(1232)
            struct.pack_into("<I", ctx, 0x30, CONTEXT_AMD64_FULL)
            struct.pack_into("<Q", ctx, 0x98, rsp)
            struct.pack_into("<Q", ctx, 0xf8, rip)
            ckey = ("ctx", rip, rsp)
            if ckey not in blobs:
                blobs[ckey] = put(bytes(ctx))
            threads.append((tid, saddr, len(stack), blobs[key], blobs[ckey]))
        mems = [(a, len(d), put(d)) for a, d in self.mems]
        for addr, size, count, step in self.repeats:
            rva = put(bytes(size + step * count))
            mems += [(addr, size, rva + step * i) for i in range(count)]
        def name_rva(name):
            u = name.encode("utf-16-le")
            return put(struct.pack("<I", len(u)) + u + b"\0\0")

        mods = []
        for base, size, name, version in self.modules:
            vs = b"\0" * 52
            if version:
                a, b, c, d = version
                vs = struct.pack("<IIII", 0xfeef04bd, 0x10000, a << 16 | b, c << 16 | d).ljust(52, b"\0")
            mods.append((base, size, name_rva(name), vs))
        unl = [(base, size, name_rva(name)) for base, size, name in self.unloaded_mods]

        streams = []
        si = struct.pack("<HHHBBIIIIIHH", 9, 6, 0, 4, 1, 10, 0, 19041, 2, 0, 0, 0) + b"\0" * 24
        streams.append((SYSTEM_INFO, put(si), len(si)))
        tl = struct.pack("<I", len(threads)) + b"".join(
            struct.pack("<IIIIQQIIII", tid, 0, 0, 0, 0, saddr, slen, srva, 1232, crva)
            for tid, saddr, slen, srva, crva in threads)
        streams.append((THREAD_LIST, put(tl), len(tl)))
        ml = struct.pack("<I", len(mods)) + b"".join(
            struct.pack("<QIIII", base, size, 0, 0, nrva) + vs + b"\0" * 32
            for base, size, nrva, vs in mods)
        streams.append((MODULE_LIST, put(ml), len(ml)))
        mm = struct.pack("<I", len(mems)) + b"".join(
            struct.pack("<QII", a, n, rva) for a, n, rva in mems)
        streams.append((MEMORY_LIST, put(mm), len(mm)))
        if unl:
            ul = struct.pack("<III", 12, 24, len(unl)) + b"".join(
                struct.pack("<QIIII", base, size, 0, 0, nrva) for base, size, nrva in unl)
            streams.append((UNLOADED_MODULE_LIST, put(ul), len(ul)))
        if self.annotations:
            ci = self._crashpad_info(put)
            streams.append((CRASHPAD_INFO, put(ci), len(ci)))
        if self.exc:
            tid, code, flags, address, params = self.exc
            crva = next(c for t, _, _, _, c in threads if t == tid)
            ex = struct.pack("<IIIIQQII", tid, 0, code, flags, 0, address, len(params), 0)
            ex += b"".join(struct.pack("<Q", p) for p in params).ljust(15 * 8, b"\0")
            ex += struct.pack("<II", 1232, crva)
            streams.append((EXCEPTION, put(ex), len(ex)))

        dir_rva = put(b"".join(struct.pack("<III", t, size, rva) for t, rva, size in streams))
        struct.pack_into("<4sIIIIIQ", out, 0, b"MDMP", 0xa793, len(streams), dir_rva, 0,
                         1600000000, 0)
        return bytes(out)

    def _crashpad_info(self, put):
        """The MinidumpCrashpadInfo, its pieces put with PUT first."""
        def utf8(text):
            b = text.encode("utf-8")
            return put(struct.pack("<I", len(b)) + b + b"\0")

        def location(blob):
            return (len(blob), put(blob)) if blob else (0, 0)

        def dictionary(pairs):
            if not pairs:
                return (0, 0)
            entries = [(utf8(k), utf8(v)) for k, v in pairs]
            return location(struct.pack("<I", len(entries)) + b"".join(
                struct.pack("<II", k, v) for k, v in entries))

        def rva_list(values):
            if not values:
                return (0, 0)
            rvas = [utf8(v) for v in values]
            return location(struct.pack("<I", len(rvas)) + b"".join(
                struct.pack("<I", r) for r in rvas))

        def objects(pairs):
            if not pairs:
                return (0, 0)
            entries = []
            for k, v in pairs:
                b = v.encode("utf-8")
                entries.append((utf8(k), put(struct.pack("<I", len(b)) + b)))
            return location(struct.pack("<I", len(entries)) + b"".join(
                struct.pack("<IHHI", k, 1, 0, v) for k, v in entries))

        def of(module, kind):
            return [(k, v) for m, t, k, v in self.annotations
                    if m == module and t == kind]

        simple = dictionary(of(None, "simple"))
        mods = sorted({m for m, _, _, _ in self.annotations if m is not None})
        links = []
        for m in mods:
            lst = rva_list([v for _, v in of(m, "list")])
            sd = dictionary(of(m, "simple"))
            ob = objects(of(m, "object"))
            info = struct.pack("<I", 1) + b"".join(
                struct.pack("<II", *loc) for loc in (lst, sd, ob))
            links.append((m, location(info)))
        ml = (0, 0)
        if links:
            ml = location(struct.pack("<I", len(links)) + b"".join(
                struct.pack("<III", m, *loc) for m, loc in links))
        return (struct.pack("<I", 1) + self.report_id + bytes(16) +
                struct.pack("<IIII", *simple, *ml))
