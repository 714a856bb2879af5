package io.dirkdb.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The config.json a test hands to a command, a member process or {@code ClusterConfig}. */
public final class ConfigFiles {

    private ConfigFiles() {
    }

    /** Writes {@code json} to {@code directory/config.json} (replacing it) and returns that file. */
    public static Path write(Path directory, String json) throws IOException {
        Path file = directory.resolve("config.json");
        Files.writeString(file, json);
        return file;
    }
}
