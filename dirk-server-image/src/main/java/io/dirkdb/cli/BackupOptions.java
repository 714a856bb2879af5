package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.backup.BackupException;
import io.dirkdb.backup.MemberAccess;
import io.dirkdb.backup.Repositories;
import io.dirkdb.backup.Repository;
import io.dirkdb.replication.ResyncTool.Endpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options backup commands share: where the repository is, and how to reach the members. */
final class BackupOptions {
    private BackupOptions() {}

    /** {@code --repository} and its S3 settings (README "Backups"). */
    static final class RepositoryOptions {
        @Option(names = "--repository", paramLabel = "URL",
                description = "where backups live: s3://BUCKET/PREFIX, file:///PATH or an absolute path")
        String url;

        @Option(names = "--s3-endpoint", paramLabel = "URL",
                description = "S3 endpoint (MinIO, Ceph, ...; else $DIRK_S3_ENDPOINT; absent: AWS's own)")
        String endpoint;

        @Option(names = "--s3-region", paramLabel = "REGION",
                description = "S3 region (else $DIRK_S3_REGION, else $AWS_REGION, else us-east-1)")
        String region;

        @Option(names = "--s3-path-style", description = "path-style S3 addressing, for MinIO-like servers "
                + "(else $DIRK_S3_PATH_STYLE=true)")
        boolean pathStyle;

        Repository open(Map<String, String> environment) throws IOException {
            return Repositories.open(url, new Repositories.S3Settings(endpoint, region, pathStyle ? Boolean.TRUE : null),
                    environment);
        }
    }

    /** {@code --members}, the replication password and TLS. */
    static final class MemberOptions {
        @Option(names = "--members", paramLabel = "HOST:PORT[,HOST:PORT...]", split = ",",
                description = "the cluster's members")
        List<String> members;

        @Option(names = "--password-file", paramLabel = "FILE", description = "the replication password (else "
                + "$DIRK_REPLICATION_PASSWORD, else $DIRK_PASSWORD)")
        Path passwordFile;

        @Mixin
        TlsOptions.Client tls = new TlsOptions.Client();

        MemberAccess access(String command, Map<String, String> environment) throws BackupException {
            if (members == null || members.isEmpty()) {
                throw new BackupException("--members is required: the cluster's members as HOST:PORT[,HOST:PORT...]");
            }
            List<Endpoint> endpoints = new ArrayList<>();
            try {
                for (String member : members) {
                    endpoints.add(Endpoint.parse(member.strip()));
                }
            } catch (IllegalArgumentException e) {
                throw new BackupException("--members: " + e.getMessage());
            }
            try {
                String password = passwordFile != null ? Passwords.fromFileOrEnvironment(passwordFile, environment)
                        : Passwords.fromEnvironment(environment, Passwords.REPLICATION_ENVIRONMENT_VARIABLE);
                List<String> fallbacks = new ArrayList<>();
                String application = Passwords.fromEnvironment(environment, Passwords.ENVIRONMENT_VARIABLE);
                if (password == null) {
                    password = application;
                } else if (application != null) {
                    fallbacks.add(application); // a member not yet restarted with separate credentials
                }
                return new MemberAccess(endpoints, password, fallbacks, tls.settings(command));
            } catch (DirkException e) {
                throw new BackupException(e.getMessage());
            }
        }
    }
}
