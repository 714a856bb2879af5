package io.dirkdb.backup;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/** Opens a repository from its URL: {@code s3://BUCKET/PREFIX}, {@code file:///PATH} or an absolute path. */
public final class Repositories {
    private Repositories() {}

    /** S3 settings beyond the URL; each null falls back to the environment, then to AWS's defaults. */
    public record S3Settings(String endpoint, String region, Boolean pathStyle) {}

    public static Repository open(String url, S3Settings s3, java.util.Map<String, String> environment) throws IOException {
        if (url == null || url.isBlank()) {
            throw new BackupException("--repository is required: s3://BUCKET/PREFIX, file:///PATH or an absolute path");
        }
        if (url.startsWith("s3://")) {
            URI uri = parse(url, "s3://BUCKET/PREFIX");
            String bucket = uri.getHost();
            if (bucket == null || bucket.isEmpty()) {
                throw new BackupException("the repository " + url + " names no bucket: write s3://BUCKET/PREFIX");
            }
            String prefix = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+", "").replaceAll("/+$", "");
            return S3Repository.open(bucket, prefix, s3, environment);
        }
        Path path;
        if (url.startsWith("file:")) {
            URI uri = parse(url, "file:///ABSOLUTE/PATH");
            if (uri.isOpaque() || uri.getRawAuthority() != null || uri.getPath() == null || !uri.getPath().startsWith("/")) {
                throw new BackupException("the repository " + url + " is not an absolute file URL: write file:///ABSOLUTE/PATH");
            }
            path = Path.of(uri);
        } else {
            path = Path.of(url);
            if (!path.isAbsolute()) {
                throw new BackupException("the repository " + url + " is neither s3://..., file:///... nor an absolute path");
            }
        }
        return new DirectoryRepository(path);
    }

    private static URI parse(String url, String form) throws BackupException {
        try {
            return new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new BackupException("the repository " + url + " is not a valid URL (" + e.getReason() + "): write " + form);
        }
    }
}
