package io.pipechat.bench.media;

import io.pipechat.assets.AssetsConfig;
import io.pipechat.assets.AssetsServer;
import io.pipechat.assets.client.MediaClient;
import io.pipechat.assets.client.MediaCrypto;
import io.pipechat.assets.client.SealedMedia;
import io.pipechat.bench.Stats;
import io.pipechat.protocol.auth.Hs256Tokens;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Throughput of the asset service for one client, sequentially: {@code --count} files of
 * {@code --size-mib} random (incompressible, like photos and video) bytes, each new. Per file it
 * times the client sealing (deflate attempt + AES-256-GCM), the {@code PUT} of the blob, the
 * {@code GET} back, the client verify + decrypt, and the dedup hit path: {@code HEAD} of stored
 * content and a re-{@code PUT} of identical content (answered 200 before the body is sent, thanks
 * to {@code Expect: 100-continue}), each {@code --probes} times, and a full client re-upload of the
 * same file (seal + HEAD, no PUT).
 * Prints medians.
 */
@Command(name = "media", mixinStandardHelpOptions = true,
        description = "Upload/download throughput and dedup hit path of the asset service")
public final class MediaBench implements Callable<Integer> {
    private static final double MIB = 1024 * 1024;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080",
            description = "asset service (or edge) root URL; ignored with --embedded (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--token", description = "bearer token for uploads")
    String token;

    @Option(names = "--secret", description = "HS256 secret to mint a token with (default with --embedded: its own)")
    String secret;

    @Option(names = "--user", defaultValue = "bench", description = "user of a minted token (default: ${DEFAULT-VALUE})")
    String user;

    @Option(names = "--embedded", description = "start an asset server in this JVM (temporary store) and measure it")
    boolean embedded;

    @Option(names = "--store-dir", description = "blob directory of the --embedded server (default: a temporary directory, deleted)")
    Path storeDir;

    @Option(names = "--size-mib", defaultValue = "10", description = "file size in MiB (default: ${DEFAULT-VALUE})")
    int sizeMib;

    @Option(names = {"-n", "--count"}, defaultValue = "10", description = "measured files (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", defaultValue = "3", description = "unmeasured files first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--probes", defaultValue = "5",
            description = "HEADs and re-PUTs of each stored file for the dedup path (default: ${DEFAULT-VALUE})")
    int probes;

    @Option(names = "--mime", defaultValue = "video/mp4", description = "MIME type given to the client (default: ${DEFAULT-VALUE})")
    String mime;

    @Override
    public Integer call() throws Exception {
        AssetsServer server = null;
        Path tempDir = null;
        try {
            URI base = URI.create(url);
            String bearer = token;
            if (embedded) {
                if (storeDir == null) {
                    tempDir = Files.createTempDirectory("bench-assets-");
                }
                String s = secret != null ? secret : AssetsConfig.DEV_SECRET;
                AssetsConfig config = AssetsConfig.defaults().withHost("127.0.0.1").withPort(0)
                        .withStoreDir(storeDir != null ? storeDir : tempDir).withTokenSecret(s)
                        .withMaxBytes(Math.max(AssetsConfig.DEFAULT_MAX_BYTES, (long) sizeMib * 2 * 1024 * 1024));
                server = AssetsServer.start(config);
                base = URI.create("http://127.0.0.1:" + server.port());
                secret = s;
            }
            if (bearer == null) {
                if (secret == null) {
                    System.err.println("give --token, --secret or --embedded");
                    return 2;
                }
                bearer = new Hs256Tokens(secret).issue(user, Duration.ofHours(1));
            }
            String finalBearer = bearer;
            MediaClient client = new MediaClient(base, () -> finalBearer);
            run(client, base);
            return 0;
        } finally {
            if (server != null) {
                server.close();
            }
            if (tempDir != null) {
                deleteTree(tempDir);
            }
        }
    }

    private void run(MediaClient client, URI base) throws Exception {
        int size = sizeMib * 1024 * 1024;
        SplittableRandom random = new SplittableRandom();
        double[] seal = new double[count];
        double[] put = new double[count];
        double[] get = new double[count];
        double[] open = new double[count];
        double[] dedupHead = new double[count * probes];
        double[] dedupPut = new double[count * probes];
        double[] dedupClient = new double[count];
        double[] fullClient = new double[count];
        long blobBytes = 0;
        System.out.printf("media bench: %s, %d MiB files (%s), %d warmup + %d measured, %d dedup probes each,"
                + " one client, sequential%n", base, sizeMib, mime, warmup, count, probes);
        for (int i = -warmup; i < count; i++) {
            byte[] file = new byte[size];
            random.nextBytes(file);

            long t0 = System.nanoTime();
            SealedMedia sealed = MediaCrypto.seal(file, mime);
            long t1 = System.nanoTime();
            if (client.exists(sealed.id())) {
                throw new IllegalStateException("fresh random content already stored?");
            }
            long t2 = System.nanoTime();
            MediaClient.Outcome outcome = client.put(sealed.id(), sealed.blob());
            long t3 = System.nanoTime();
            if (outcome != MediaClient.Outcome.CREATED) {
                throw new IllegalStateException("expected a new blob, got " + outcome);
            }
            byte[] blob = client.fetch(sealed.id());
            long t4 = System.nanoTime();
            byte[] back = MediaCrypto.open(sealed.id(), blob, sealed.key(), size);
            long t5 = System.nanoTime();
            if (!Arrays.equals(back, file)) {
                throw new IllegalStateException("round trip changed the content");
            }
            for (int p = 0; p < probes; p++) {
                long h0 = System.nanoTime();
                boolean stored = client.exists(sealed.id());
                long h1 = System.nanoTime();
                MediaClient.Outcome again = client.put(sealed.id(), sealed.blob());
                long h2 = System.nanoTime();
                if (!stored || again != MediaClient.Outcome.ALREADY_STORED) {
                    throw new IllegalStateException("dedup path broken: " + stored + " " + again);
                }
                if (i >= 0) {
                    dedupHead[i * probes + p] = millis(h1 - h0);
                    dedupPut[i * probes + p] = millis(h2 - h1);
                }
            }
            long t7 = System.nanoTime();
            MediaClient.Outcome reupload = client.uploadSealed(MediaCrypto.seal(file, mime));
            long t8 = System.nanoTime();
            if (reupload != MediaClient.Outcome.SKIPPED) {
                throw new IllegalStateException("client re-upload not skipped: " + reupload);
            }
            if (i < 0) {
                continue;
            }
            blobBytes = sealed.blob().length;
            seal[i] = size / MIB / seconds(t1 - t0);
            put[i] = blobBytes / MIB / seconds(t3 - t2);
            get[i] = blobBytes / MIB / seconds(t4 - t3);
            open[i] = size / MIB / seconds(t5 - t4);
            dedupClient[i] = millis(t8 - t7);
            fullClient[i] = millis(t3 - t0);
        }
        System.out.printf("blob size                   %,d bytes%n", blobBytes);
        row("upload   PUT                ", put, "MiB/s");
        row("download GET                ", get, "MiB/s");
        row("client seal (deflate? + GCM)", seal, "MiB/s");
        row("client open (verify + GCM)  ", open, "MiB/s");
        row("first upload, client total  ", fullClient, "ms");
        row("dedup HEAD of stored blob   ", dedupHead, "ms");
        row("dedup re-PUT (100-continue) ", dedupPut, "ms");
        row("dedup client upload (seal+HEAD)", dedupClient, "ms");
    }

    private static void row(String name, double[] v, String unit) {
        System.out.printf("%-32s median %9.2f %-5s (min %.2f, max %.2f)%n", name, Stats.median(v), unit,
                Stats.min(v), Stats.max(v));
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
