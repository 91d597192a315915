package dev.reel.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reel.DType;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.bytedeco.javacpp.Pointer;

/**
 * Tensors in the safetensors format, memory-mapped and checked before any is used.
 *
 * <p>A file is an 8-byte little-endian header length {@code n}, {@code n} bytes of JSON
 * ({@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, offsets
 * relative to the end of the header) and the data. Every field is checked when the file is
 * opened: the header length against the file and {@link #MAX_HEADER_BYTES}; the JSON under
 * read limits, duplicate names refused; each entry has exactly {@code dtype}, {@code shape}
 * and {@code data_offsets}; the dtype is F32, BF16 or F16; the shape's element count and the
 * byte size do not overflow and match the offsets; and the tensors, sorted by offset, cover
 * the data section exactly, from its first byte to the last byte of the file, with no
 * overlap, no hole and no trailing bytes (as the safetensors format requires). Anything
 * else is a {@link ModelFormatException} naming the file and the tensor or field.
 *
 * <p>Files are mapped read-only in windows of at most 2 GiB aligned to tensor boundaries,
 * so a file of any size opens, but one tensor over {@link #MAX_TENSOR_BYTES} is refused
 * (Java 17 maps at most 2 GiB in one piece). {@link #close()} unmaps the windows at once
 * (through {@code sun.misc.Unsafe.invokeCleaner}; where that is unavailable the mapping goes
 * when collected): an address taken from an {@link Entry} must not be used after close.
 * The file must not change while it is open (the mapping would show the change, and a
 * file cut shorter faults on access).
 *
 * <p>Reading is safe from several threads; close is not, and must come after the last read.
 */
public final class SafeTensors implements AutoCloseable {
    /** The largest header accepted. */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** The largest tensor accepted: one memory mapping. */
    public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;
    /** The largest rank accepted. */
    public static final int MAX_RANK = 8;
    /** The largest shard index file accepted. */
    public static final long MAX_INDEX_BYTES = 64L << 20;
    /** The most shards an index may name. */
    public static final int MAX_SHARDS = 4096;

    private static final Set<String> UNSUPPORTED = Set.of("F64", "I64", "I32", "I16", "I8", "U64", "U32", "U16",
            "U8", "BOOL", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");
    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");
    private static final String METADATA = "__metadata__";

    /**
     * One tensor: its dtype and shape, its size, where its bytes are in its file
     * ({@code offset}, from the start of the file), and the native address of its first byte
     * in the mapping (valid while the SafeTensors is open; 0 only for an empty tensor).
     */
    public record Entry(String name, DType dtype, long[] shape, long numel, long byteSize, String file, long offset,
            long address) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry && ((Entry) o).name.equals(name) && ((Entry) o).dtype == dtype
                    && Arrays.equals(((Entry) o).shape, shape) && ((Entry) o).file.equals(file)
                    && ((Entry) o).offset == offset && ((Entry) o).address == address;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " at " + file + "+" + offset;
        }
    }

    /** A mapped (or caller-provided) piece of one file; {@code start} is a data-section offset. */
    private static final class Window {
        final long start;
        final ByteBuffer buffer;
        final long address;
        final boolean mapped;

        Window(long start, ByteBuffer buffer, boolean mapped) {
            this.start = start;
            this.buffer = buffer;
            this.mapped = mapped;
            this.address = buffer == null || buffer.capacity() == 0 ? 0 : new Pointer(buffer).address();
        }
    }

    /** One file (or buffer) of the checkpoint. */
    private static final class Part {
        final String name;
        final Path path; // null for a buffer
        final long dataStart;
        final Map<String, String> metadata;
        final List<Window> windows = new ArrayList<>();
        final TreeMap<String, Located> tensors = new TreeMap<>();

        Part(String name, Path path, long dataStart, Map<String, String> metadata) {
            this.name = name;
            this.path = path;
            this.dataStart = dataStart;
            this.metadata = metadata;
        }
    }

    private record Located(Entry entry, Window window, long offsetInWindow) {}

    /** A header entry after its own checks, before the coverage check. */
    private record Raw(String name, DType dtype, long[] shape, long numel, long begin, long end) {}

    private interface Reader {
        void read(long position, byte[] into) throws IOException;
    }

    private final String source;
    private final List<Part> parts;
    private final TreeMap<String, Located> entries = new TreeMap<>();
    private final Map<String, String> metadata;
    private final List<String> names;
    private volatile boolean closed;

    private SafeTensors(String source, List<Part> parts, Map<String, String> metadata) {
        this.source = source;
        this.parts = parts;
        for (Part p : parts) {
            entries.putAll(p.tensors);
        }
        this.metadata = Collections.unmodifiableMap(metadata);
        this.names = List.copyOf(entries.keySet());
    }

    // ---------------------------------------------------------------- opening

    /** Maps and checks one {@code .safetensors} file. */
    public static SafeTensors open(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("file is null");
        }
        Part part = openPart(file);
        return new SafeTensors(file.toString(), List.of(part), new LinkedHashMap<>(part.metadata));
    }

    /**
     * Checks safetensors bytes already in memory (the embedded model read from the jar): the
     * {@code remaining()} bytes of a direct buffer, from its position. The buffer must stay
     * unchanged while this is open; it is not copied and close does not free it.
     *
     * @param sourceName the name used in messages, for example the resource path
     */
    public static SafeTensors fromBuffer(String sourceName, ByteBuffer buffer) {
        if (sourceName == null) {
            throw new IllegalArgumentException("sourceName is null");
        }
        if (buffer == null) {
            throw new IllegalArgumentException("buffer is null");
        }
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("buffer must be direct (its native address is handed to kernels)");
        }
        ByteBuffer bytes = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        long size = bytes.remaining();
        Parsed parsed = parseHeader(sourceName, size, (position, into) -> bytes.get((int) position, into));
        Part part = new Part(sourceName, null, parsed.dataStart, parsed.metadata);
        Window whole = new Window(0, bytes, false);
        part.windows.add(whole);
        for (Raw r : parsed.raws) {
            long at = parsed.dataStart + r.begin;
            part.tensors.put(r.name, new Located(entry(r, sourceName, at, whole.address == 0 ? 0 : whole.address + at),
                    whole, at));
        }
        return new SafeTensors(sourceName, List.of(part), new LinkedHashMap<>(part.metadata));
    }

    /**
     * Opens a sharded checkpoint from its {@code model.safetensors.index.json}: a JSON object
     * whose {@code weight_map} maps each tensor name to a shard file beside the index. Every
     * shard named is opened and checked; a missing shard, a shard name with a path in it, a
     * tensor listed for a shard that lacks it, and a tensor found in a shard the map does not
     * send it to (for example one in two shards) are refused. The optional {@code metadata}
     * object becomes {@link #metadata()}.
     */
    public static SafeTensors openIndex(Path indexJson) {
        if (indexJson == null) {
            throw new IllegalArgumentException("indexJson is null");
        }
        String indexName = indexJson.toString();
        Json.Obj index = Json.parseObject(indexName, "index", readSmallFile(indexJson, MAX_INDEX_BYTES));
        Json.Obj weightMap = index.object("weight_map");
        Map<String, String> shardOf = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            String field = "weight_map." + Json.clip(e.getKey(), 200);
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(indexName, field, "must be a shard file name, found "
                        + Json.describe(e.getValue()));
            }
            String shard = e.getValue().textValue();
            if (shard.isEmpty() || shard.equals(".") || shard.equals("..") || shard.indexOf('/') >= 0
                    || shard.indexOf('\\') >= 0 || shard.indexOf('\0') >= 0) {
                throw new ModelFormatException(indexName, field, "shard \"" + Json.clip(shard, 200)
                        + "\" must be a plain file name beside the index");
            }
            shardOf.put(e.getKey(), shard);
        }
        if (shardOf.isEmpty()) {
            throw new ModelFormatException(indexName, "weight_map", "is empty (no tensor is listed)");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        if (index.has("metadata")) {
            Json.Obj meta = index.object("metadata");
            for (Map.Entry<String, JsonNode> e : meta.properties()) {
                metadata.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        List<String> shardNames = new ArrayList<>(new java.util.TreeSet<>(shardOf.values()));
        if (shardNames.size() > MAX_SHARDS) {
            throw new ModelFormatException(indexName, "weight_map", "names " + shardNames.size()
                    + " shards, more than the limit " + MAX_SHARDS);
        }
        Path folder = indexJson.toAbsolutePath().getParent();
        List<Part> parts = new ArrayList<>();
        try {
            for (String shard : shardNames) {
                Path path = folder.resolve(shard);
                if (!Files.isRegularFile(path)) {
                    throw new ModelFormatException(path, "file", "missing (a shard that " + indexName + " names)");
                }
                parts.add(openPart(path));
            }
            Map<String, String> foundIn = new TreeMap<>();
            for (int i = 0; i < parts.size(); i++) {
                Part part = parts.get(i);
                String shard = shardNames.get(i);
                for (String name : part.tensors.keySet()) {
                    String before = foundIn.put(name, shard);
                    if (before != null) {
                        throw new ModelFormatException(part.name, Json.clip(name, 200), "is in two shards, "
                                + before + " and " + shard);
                    }
                    String listed = shardOf.get(name);
                    if (listed == null) {
                        throw new ModelFormatException(part.name, Json.clip(name, 200),
                                "is not listed in the weight_map of " + indexName);
                    }
                    if (!listed.equals(shard)) {
                        throw new ModelFormatException(part.name, Json.clip(name, 200), "is in " + shard
                                + ", but the weight_map of " + indexName + " puts it in " + listed);
                    }
                }
            }
            for (Map.Entry<String, String> e : shardOf.entrySet()) {
                if (!foundIn.containsKey(e.getKey())) {
                    throw new ModelFormatException(indexName, "weight_map." + Json.clip(e.getKey(), 200),
                            "lists the tensor in " + e.getValue() + ", which does not contain it");
                }
            }
            return new SafeTensors(indexName, parts, metadata);
        } catch (RuntimeException | Error e) {
            for (Part p : parts) {
                unmap(p);
            }
            throw e;
        }
    }

    private static Part openPart(Path file) {
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new ModelFormatException(file, "file", "is a folder, not a safetensors file");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) { // a pipe or device would block or never end
            throw new ModelFormatException(file, "file", "is not a regular file");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            Parsed parsed = parseHeader(name, size, (position, into) -> {
                ByteBuffer target = ByteBuffer.wrap(into);
                while (target.hasRemaining()) {
                    if (channel.read(target, position + target.position()) < 0) {
                        throw new ModelFormatException(file, "file", "ended while reading the header (was it changed?)");
                    }
                }
            });
            Part part = new Part(name, file, parsed.dataStart, parsed.metadata);
            try {
                mapWindows(channel, part, parsed);
            } catch (RuntimeException | Error e) {
                unmap(part);
                throw e;
            }
            return part;
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "file", "missing");
        } catch (IOException e) {
            throw new ModelFormatException(file, "file", "cannot be read: " + e, e);
        }
    }

    /** Maps the data section in windows of at most 2 GiB that start and end on tensor boundaries. */
    private static void mapWindows(FileChannel channel, Part part, Parsed parsed) throws IOException {
        List<Raw> pending = new ArrayList<>();
        long start = 0;
        for (Raw r : parsed.raws) { // sorted by offset, contiguous from 0
            if (!pending.isEmpty() && r.end - start > MAX_TENSOR_BYTES) {
                flush(channel, part, start, pending);
                pending.clear();
            }
            if (pending.isEmpty()) {
                start = r.begin;
            }
            pending.add(r);
        }
        if (!pending.isEmpty()) {
            flush(channel, part, start, pending);
        }
    }

    private static void flush(FileChannel channel, Part part, long start, List<Raw> tensors) throws IOException {
        long end = tensors.get(tensors.size() - 1).end;
        MappedByteBuffer map = end == start ? null
                : channel.map(FileChannel.MapMode.READ_ONLY, part.dataStart + start, end - start);
        Window w = new Window(start, map == null ? null : map.order(ByteOrder.LITTLE_ENDIAN), map != null);
        part.windows.add(w);
        for (Raw r : tensors) {
            long inWindow = r.begin - start;
            part.tensors.put(r.name, new Located(entry(r, part.name, part.dataStart + r.begin,
                    w.address == 0 ? 0 : w.address + inWindow), w, inWindow));
        }
    }

    private static Entry entry(Raw r, String file, long offset, long address) {
        return new Entry(r.name, r.dtype, r.shape, r.numel, r.end - r.begin, file, offset, r.numel == 0 ? 0 : address);
    }

    static byte[] readSmallFile(Path file, long limit) {
        try {
            if (Files.isDirectory(file)) {
                throw new ModelFormatException(file, "file", "is a folder, not a file");
            }
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                throw new ModelFormatException(file, "file", "is not a regular file");
            }
            long size = Files.size(file);
            if (size > limit) {
                throw new ModelFormatException(file, "file", "is " + size + " bytes, more than the limit " + limit);
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "file", "missing");
        } catch (IOException e) {
            throw new ModelFormatException(file, "file", "cannot be read: " + e, e);
        }
    }

    // ---------------------------------------------------------------- the header

    private record Parsed(long dataStart, List<Raw> raws, Map<String, String> metadata) {}

    private static Parsed parseHeader(String file, long size, Reader reader) {
        if (size < 8) {
            throw new ModelFormatException(file, "file", "is " + size + " bytes, shorter than the 8-byte header length");
        }
        byte[] prefix = new byte[8];
        read(file, reader, 0, prefix);
        long n = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String length = Long.toUnsignedString(n);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, "header", "length " + length + " is over the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        if (n > size - 8) {
            throw new ModelFormatException(file, "header", "length " + length + " runs past the end of the file ("
                    + size + " bytes)");
        }
        byte[] header = new byte[(int) n];
        read(file, reader, 8, header);
        JsonNode root = Json.parse(file, "header", header, 0, header.length);
        if (!root.isObject()) {
            throw new ModelFormatException(file, "header", "must be a JSON object, found " + Json.describe(root));
        }
        long dataLength = size - 8 - n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Raw> raws = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA)) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                raws.add(readEntry(file, field.getKey(), field.getValue(), dataLength));
            }
        }
        checkCoverage(file, raws, dataLength);
        return new Parsed(8 + n, raws, metadata);
    }

    private static void read(String file, Reader reader, long position, byte[] into) {
        try {
            reader.read(position, into);
        } catch (IOException e) {
            throw new ModelFormatException(file, "file", "cannot be read: " + e, e);
        }
    }

    private static void readMetadata(String file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new ModelFormatException(file, METADATA, "must be an object of strings, found " + Json.describe(node));
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(file, METADATA + "." + Json.clip(e.getKey(), 200),
                        "must be a string, found " + Json.describe(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static Raw readEntry(String file, String rawName, JsonNode node, long dataLength) {
        String name = Json.clip(rawName, 200);
        if (rawName.isEmpty()) {
            throw new ModelFormatException(file, "header", "a tensor name is empty");
        }
        if (!node.isObject()) {
            throw new ModelFormatException(file, name, "must be an object {dtype, shape, data_offsets}, found "
                    + Json.describe(node));
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!ENTRY_FIELDS.contains(f)) {
                throw new ModelFormatException(file, name, "unexpected field \"" + Json.clip(f, 80)
                        + "\" (an entry has exactly dtype, shape and data_offsets)");
            }
        }
        for (String f : List.of("dtype", "shape", "data_offsets")) {
            if (!node.has(f)) {
                throw new ModelFormatException(file, name, "missing " + f);
            }
        }
        DType dtype = dtype(file, name, node.get("dtype"));
        long[] shape = longs(file, name, "shape", node.get("shape"), -1);
        long numel = 1;
        for (long d : shape) {
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(file, name, "shape " + Arrays.toString(shape)
                        + ": element count overflows 64 bits");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, (long) dtype.bytes());
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file, name, "shape " + Arrays.toString(shape) + " of " + dtype
                    + ": byte size overflows 64 bits");
        }
        long[] offsets = longs(file, name, "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end + "] are reversed");
        }
        if (end > dataLength) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + "] run past the end of the data (" + dataLength + " bytes)");
        }
        if (end - begin != bytes) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin) + " bytes, but shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + bytes);
        }
        if (bytes > MAX_TENSOR_BYTES) {
            throw new ModelFormatException(file, name, bytes + " bytes: a tensor over " + MAX_TENSOR_BYTES
                    + " bytes cannot be mapped in one piece; split it");
        }
        return new Raw(rawName, dtype, shape, numel, begin, end);
    }

    private static DType dtype(String file, String name, JsonNode node) {
        if (!node.isTextual()) {
            throw new ModelFormatException(file, name, "dtype must be a string, found " + Json.describe(node));
        }
        String d = node.textValue();
        switch (d) {
            case "F32":
                return DType.F32;
            case "BF16":
                return DType.BF16;
            case "F16":
                return DType.F16;
            default:
                if (UNSUPPORTED.contains(d)) {
                    throw new ModelFormatException(file, name, "dtype " + d
                            + " is not supported (Reel reads F32, BF16 and F16)");
                }
                throw new ModelFormatException(file, name, "dtype \"" + Json.clip(d, 40)
                        + "\" is unknown (Reel reads F32, BF16 and F16)");
        }
    }

    /** A JSON array of non-negative 64-bit integers; {@code length} -1 for any length up to MAX_RANK. */
    private static long[] longs(String file, String name, String field, JsonNode node, int length) {
        if (!node.isArray()) {
            throw new ModelFormatException(file, name, field + " must be an array of integers, found "
                    + Json.describe(node));
        }
        if (length >= 0 && node.size() != length) {
            throw new ModelFormatException(file, name, field + " must have " + length + " entries, found " + node.size());
        }
        if (node.size() > MAX_RANK) {
            throw new ModelFormatException(file, name, field + " has rank " + node.size() + ", more than " + MAX_RANK);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber()) {
                throw new ModelFormatException(file, name, field + "[" + i + "] must be an integer, found "
                        + Json.describe(v));
            }
            BigInteger b = v.bigIntegerValue();
            if (b.signum() < 0) {
                throw new ModelFormatException(file, name, field + "[" + i + "] is negative (" + Json.clip(b.toString(), 40)
                        + ")");
            }
            if (b.bitLength() > 63) {
                throw new ModelFormatException(file, name, field + "[" + i + "] " + Json.clip(b.toString(), 40)
                        + " does not fit 64 bits");
            }
            out[i] = b.longValue();
        }
        return out;
    }

    /** Sorted by offset, the tensors must tile [0, dataLength) exactly; sorts {@code raws} by offset. */
    private static void checkCoverage(String file, List<Raw> raws, long dataLength) {
        raws.sort(Comparator.comparingLong(Raw::begin).thenComparingLong(Raw::end).thenComparing(Raw::name));
        long at = 0;
        Raw previous = null;
        for (Raw r : raws) {
            String name = Json.clip(r.name, 200);
            if (r.begin < at) {
                throw new ModelFormatException(file, name, "data_offsets [" + r.begin + ", " + r.end + "] overlap "
                        + Json.clip(previous.name, 200) + " [" + previous.begin + ", " + previous.end + "]");
            }
            if (r.begin > at) {
                throw new ModelFormatException(file, name, "data_offsets begin at " + r.begin + ", but "
                        + (previous == null ? "the data starts at 0" : Json.clip(previous.name, 200) + " ends at " + at)
                        + ": bytes [" + at + ", " + r.begin + ") belong to no tensor");
            }
            at = r.end;
            previous = r;
        }
        if (at != dataLength) {
            throw new ModelFormatException(file, "data", (dataLength - at) + " trailing bytes after "
                    + (previous == null ? "the header (it names no tensor)" : "the last tensor (" + Json.clip(previous.name, 200)
                            + " ends at " + at + ")")
                    + "; the tensors must cover the data section exactly (" + dataLength + " bytes)");
        }
    }

    // ---------------------------------------------------------------- access

    /** The file (or index, or buffer name) this was opened from. */
    public String source() {
        return source;
    }

    /** The tensor names, sorted. */
    public List<String> names() {
        return names;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The {@code __metadata__} strings of a single file, or the {@code metadata} of a shard index. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor's entry; an unknown name is a {@link ModelFormatException}. */
    public Entry entry(String name) {
        return locate(name).entry;
    }

    /** The tensor's bytes: a read-only little-endian view of the mapping (no copy). */
    public ByteBuffer bytes(String name) {
        Located l = locate(name);
        if (l.window.buffer == null) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer b = l.window.buffer.duplicate();
        b.limit((int) (l.offsetInWindow + l.entry.byteSize)).position((int) l.offsetInWindow);
        return b.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The tensor's values converted to fp32 (exactly: every BF16 and F16 value is a float). */
    public float[] toFloatArray(String name) {
        Entry e = entry(name);
        if (e.numel() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + name + " has " + e.numel() + " elements, more than a Java array holds");
        }
        ByteBuffer b = bytes(name);
        float[] out = new float[(int) e.numel()];
        switch (e.dtype()) {
            case F32:
                b.asFloatBuffer().get(out);
                break;
            case BF16: {
                ShortBuffer s = b.asShortBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((s.get(i) & 0xFFFF) << 16);
                }
                break;
            }
            default: {
                ShortBuffer s = b.asShortBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = halfToFloat(s.get(i));
                }
            }
        }
        return out;
    }

    /** The index of the first NaN or infinite value of the tensor, or -1 when every value is finite. */
    public long firstNonFinite(String name) {
        Entry e = entry(name);
        ByteBuffer b = bytes(name);
        if (e.dtype() == DType.F32) {
            IntBuffer v = b.asIntBuffer();
            for (int i = 0, n = v.limit(); i < n; i++) {
                if ((v.get(i) & 0x7F800000) == 0x7F800000) {
                    return i;
                }
            }
            return -1;
        }
        int exponent = e.dtype() == DType.BF16 ? 0x7F80 : 0x7C00;
        ShortBuffer v = b.asShortBuffer();
        for (int i = 0, n = v.limit(); i < n; i++) {
            if ((v.get(i) & exponent) == exponent) {
                return i;
            }
        }
        return -1;
    }

    /** The F32 values as a buffer over the mapping (no copy); other dtypes: {@link #toFloatArray}. */
    public FloatBuffer floats(String name) {
        Entry e = entry(name);
        if (e.dtype() != DType.F32) {
            return FloatBuffer.wrap(toFloatArray(name)).asReadOnlyBuffer();
        }
        return bytes(name).asFloatBuffer();
    }

    /**
     * The SHA-256 (lower-case hex) of the weight bytes: of the file; for a sharded checkpoint,
     * of the shard files one after another in file-name order; for a buffer, of its bytes.
     */
    public String sha256() {
        requireOpen();
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        for (Part p : parts) {
            if (p.path == null) {
                digest.update(p.windows.get(0).buffer.duplicate().position(0));
                continue;
            }
            try (FileChannel channel = FileChannel.open(p.path, StandardOpenOption.READ)) {
                ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
                while (channel.read(chunk) >= 0) {
                    chunk.flip();
                    digest.update(chunk);
                    chunk.clear();
                }
            } catch (IOException e) {
                throw new ModelFormatException(p.path, "file", "cannot be read: " + e, e);
            }
        }
        StringBuilder hex = new StringBuilder(64);
        for (byte b : digest.digest()) {
            hex.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
        }
        return hex.toString();
    }

    private Located locate(String name) {
        requireOpen();
        Located l = name == null ? null : entries.get(name);
        if (l == null) {
            throw new ModelFormatException(source, String.valueOf(name), "no such tensor (" + entries.size()
                    + " tensors in the file)");
        }
        return l;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(source + " is closed");
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Unmaps the file (later calls do nothing); addresses taken from entries become invalid. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Part p : parts) {
            unmap(p);
        }
    }

    @Override
    public String toString() {
        return "SafeTensors(" + source + ", " + entries.size() + " tensors" + (closed ? ", closed)" : ")");
    }

    // ---------------------------------------------------------------- helpers

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            cleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // no jdk.unsupported: mappings are released when collected
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private static void unmap(Part part) {
        Set<ByteBuffer> done = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Window w : part.windows) {
            if (w.mapped && w.buffer != null && INVOKE_CLEANER != null && done.add(w.buffer)) {
                try {
                    INVOKE_CLEANER.invoke(UNSAFE, w.buffer);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    // left to the collector
                }
            }
        }
        part.windows.clear();
    }

    /** IEEE half to float, exact. */
    static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f; // subnormal (or zero): exact in float
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
