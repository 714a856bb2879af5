package io.dirkdb.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * A repository in an S3 bucket under a prefix (AWS S3, MinIO, Ceph, s3proxy, ...). An object becomes visible only once
 * its upload is complete, so the repository's rule (an object is wholly there or not at all) holds. Credentials come
 * from the SDK's default chain.
 */
final class S3Repository implements Repository {
    private final S3Client client;
    private final String bucket;
    private final String prefix; // "" or ending with "/"
    private final String description;
    private volatile boolean batchDeletes = true;
    /** Files larger than a part go up in parts (S3 takes at most 5 GiB in one PUT, and a failed PUT starts over). */
    private final long partBytes;

    /** Default part size of multipart uploads; S3's minimum is 5 MiB (but for the last part), its maximum 5 GiB. */
    static final long DEFAULT_PART_MIB = 64;
    static final long MIN_PART_MIB = 5;
    static final long MAX_PART_MIB = 5 * 1024;
    /** S3 takes at most 10,000 parts: a larger file gets larger parts. */
    static final int MAX_PARTS = 10_000;

    private S3Repository(S3Client client, String bucket, String prefix, String description, long partBytes) {
        this.client = client;
        this.bucket = bucket;
        this.prefix = prefix;
        this.description = description;
        this.partBytes = partBytes;
    }

    static Repository open(String bucket, String prefix, Repositories.S3Settings settings, Map<String, String> environment)
            throws IOException {
        String endpoint = settings.endpoint() != null ? settings.endpoint() : blankToNull(environment.get("DIRK_S3_ENDPOINT"));
        String region = settings.region() != null ? settings.region() : blankToNull(environment.get("DIRK_S3_REGION"));
        if (region == null) {
            region = blankToNull(environment.get("AWS_REGION"));
        }
        if (region == null) {
            region = "us-east-1";
        }
        long partBytes = partMib(environment.get("DIRK_S3_PART_MB")) << 20;
        boolean pathStyle = settings.pathStyle() != null ? settings.pathStyle()
                : "true".equalsIgnoreCase(environment.getOrDefault("DIRK_S3_PATH_STYLE", "").strip());
        try {
            // Checksums only where S3 requires them: S3-compatible servers differ in the trailing checksums they take,
            // and every object is checked against its own SHA-256 on restore anyway.
            var builder = S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder())
                    .region(Region.of(region)).forcePathStyle(pathStyle)
                    .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED);
            if (endpoint != null) {
                builder.endpointOverride(URI.create(endpoint));
            }
            String normalized = prefix.isEmpty() ? "" : prefix + "/";
            return new S3Repository(builder.build(), bucket, normalized,
                    "s3://" + bucket + "/" + normalized + (endpoint != null ? " at " + endpoint : ""), partBytes);
        } catch (SdkException | IllegalArgumentException e) {
            throw new BackupException("cannot use the S3 repository s3://" + bucket + "/" + prefix + ": " + e.getMessage(), e);
        }
    }

    private static long partMib(String setting) throws BackupException {
        String text = blankToNull(setting);
        if (text == null) {
            return DEFAULT_PART_MIB;
        }
        try {
            long mib = Long.parseLong(text);
            if (mib >= MIN_PART_MIB && mib <= MAX_PART_MIB) {
                return mib;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new BackupException("DIRK_S3_PART_MB=" + text + " is not a part size S3 takes: a whole number of MiB from "
                + MIN_PART_MIB + " to " + MAX_PART_MIB + " (default " + DEFAULT_PART_MIB + ")");
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text.strip();
    }

    private IOException failure(String what, String name, SdkException e) {
        return new BackupException(what + " " + name + " in " + description + " failed: " + e.getMessage(), e);
    }

    @Override
    public void put(String name, Path file) throws IOException {
        long size = Files.size(file);
        long part = Math.max(partBytes, (size + MAX_PARTS - 1) / MAX_PARTS);
        if (size <= part) {
            try {
                client.putObject(b -> b.bucket(bucket).key(prefix + name), RequestBody.fromFile(file));
            } catch (SdkException e) {
                throw failure("storing", name, e);
            }
            return;
        }
        putInParts(name, file, size, part);
    }

    /**
     * A multipart upload: the object appears only once every part is in and the upload is completed, so a reader never
     * sees part of it; a failed upload is aborted, so its parts do not linger (and cost) in the bucket. Each part is read
     * from the file again if the SDK retries it.
     */
    private void putInParts(String name, Path file, long size, long part) throws IOException {
        String key = prefix + name;
        String uploadId;
        try {
            uploadId = client.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        } catch (SdkException e) {
            throw failure("starting the upload of", name, e);
        }
        boolean completed = false;
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < size; offset += part, number++) {
                long length = Math.min(part, size - offset);
                int partNumber = number;
                try (PartStreams content = new PartStreams(file, offset, length)) {
                    UploadPartResponse uploaded = client.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                            .partNumber(partNumber).contentLength(length),
                            RequestBody.fromContentProvider(content, length, "application/octet-stream"));
                    parts.add(CompletedPart.builder().partNumber(partNumber).eTag(uploaded.eTag()).build());
                }
            }
            client.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)));
            completed = true;
        } catch (SdkException e) {
            throw failure("storing", name, e);
        } catch (UncheckedIOException e) {
            throw new BackupException("storing " + name + " in " + description + " failed: reading " + file + ": "
                    + e.getCause().getMessage(), e.getCause());
        } finally {
            if (!completed) {
                // Whatever ended it (an SDK error, a read error, anything else), its parts must not linger. A process
                // killed here leaves them: a bucket lifecycle rule AbortIncompleteMultipartUpload cleans those.
                try {
                    client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
                } catch (RuntimeException abort) {
                    System.getLogger(S3Repository.class.getName()).log(System.Logger.Level.WARNING,
                            "could not abort the upload of " + name + " (" + uploadId + "): " + abort.getMessage());
                }
            }
        }
    }

    /**
     * One part of a file, as a new stream each time the SDK asks (a retry re-reads the part from its start); the
     * stream handed out before is closed then, and the last one when the part is done.
     */
    private static final class PartStreams implements ContentStreamProvider, AutoCloseable {
        private final Path file;
        private final long offset;
        private final long length;
        private InputStream current;

        PartStreams(Path file, long offset, long length) {
            this.file = file;
            this.offset = offset;
            this.length = length;
        }

        @Override
        public synchronized InputStream newStream() {
            close();
            InputStream in = null;
            try {
                in = Files.newInputStream(file);
                in.skipNBytes(offset);
                current = new LimitedInputStream(in, length);
                return current;
            } catch (IOException e) {
                if (in != null) {
                    try {
                        in.close();
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public synchronized void close() {
            if (current != null) {
                try {
                    current.close();
                } catch (IOException e) {
                    // a read-only file: nothing to lose
                }
                current = null;
            }
        }
    }

    /** The first {@code remaining} bytes of a stream: one part of a file. */
    private static final class LimitedInputStream extends java.io.FilterInputStream {
        private long remaining;

        LimitedInputStream(InputStream in, long remaining) {
            super(in);
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = super.read(buffer, offset, (int) Math.min(length, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }
    }

    @Override
    public void put(String name, byte[] bytes) throws IOException {
        try {
            client.putObject(b -> b.bucket(bucket).key(prefix + name), RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw failure("storing", name, e);
        }
    }

    @Override
    public InputStream get(String name) throws IOException {
        try {
            return client.getObject(b -> b.bucket(bucket).key(prefix + name));
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(name);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new NoSuchFileException(name);
            }
            throw failure("reading", name, e);
        } catch (SdkException e) {
            throw failure("reading", name, e);
        }
    }

    @Override
    public List<Entry> list(String namePrefix) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try {
            String token = null;
            do {
                ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix + namePrefix);
                if (token != null) {
                    request.continuationToken(token);
                }
                ListObjectsV2Response page = client.listObjectsV2(request.build());
                for (S3Object object : page.contents()) {
                    entries.add(new Entry(object.key().substring(prefix.length()), object.size()));
                }
                token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
            } while (token != null);
        } catch (SdkException e) {
            throw failure("listing", namePrefix + "*", e);
        }
        entries.sort(java.util.Comparator.comparing(Entry::name));
        return entries;
    }

    @Override
    public void delete(String name) throws IOException {
        try {
            client.deleteObject(b -> b.bucket(bucket).key(prefix + name));
        } catch (SdkException e) {
            throw failure("deleting", name, e);
        }
    }

    /**
     * In batches of up to 1,000 keys per request (S3's DeleteObjects), in order; one by one on a server that does
     * not take the batch with the SDK's checksum header (S3Proxy 2.6.0 answers 501 Not Implemented).
     */
    @Override
    public void deleteAll(List<String> names) throws IOException {
        if (!batchDeletes) {
            Repository.super.deleteAll(names);
            return;
        }
        for (int from = 0; from < names.size(); from += 1000) {
            List<software.amazon.awssdk.services.s3.model.ObjectIdentifier> keys = new ArrayList<>();
            for (String name : names.subList(from, Math.min(names.size(), from + 1000))) {
                keys.add(software.amazon.awssdk.services.s3.model.ObjectIdentifier.builder().key(prefix + name).build());
            }
            try {
                var response = client.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(keys).quiet(true)));
                if (response.hasErrors() && !response.errors().isEmpty()) {
                    var error = response.errors().get(0);
                    throw new BackupException("deleting " + error.key() + " in " + description + " failed: "
                            + error.code() + " " + error.message());
                }
            } catch (S3Exception e) {
                if (e.statusCode() != 501) {
                    throw failure("deleting", names.get(from) + " and others", e);
                }
                batchDeletes = false;
                Repository.super.deleteAll(names.subList(from, names.size()));
                return;
            } catch (SdkException e) {
                throw failure("deleting", names.get(from) + " and others", e);
            }
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        client.close();
    }
}
