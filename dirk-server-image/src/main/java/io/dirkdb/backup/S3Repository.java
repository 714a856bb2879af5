package io.dirkdb.backup;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

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

    private S3Repository(S3Client client, String bucket, String prefix, String description) {
        this.client = client;
        this.bucket = bucket;
        this.prefix = prefix;
        this.description = description;
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
                    "s3://" + bucket + "/" + normalized + (endpoint != null ? " at " + endpoint : ""));
        } catch (SdkException | IllegalArgumentException e) {
            throw new BackupException("cannot use the S3 repository s3://" + bucket + "/" + prefix + ": " + e.getMessage(), e);
        }
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text.strip();
    }

    private IOException failure(String what, String name, SdkException e) {
        return new BackupException(what + " " + name + " in " + description + " failed: " + e.getMessage(), e);
    }

    @Override
    public void put(String name, Path file) throws IOException {
        try {
            client.putObject(b -> b.bucket(bucket).key(prefix + name), RequestBody.fromFile(file));
        } catch (SdkException e) {
            throw failure("storing", name, e);
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
