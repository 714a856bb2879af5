package io.dirkdb.server;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The cluster's {@code config.json}, in the original DirkDB's format:
 * <pre>
 * {"configVersion": 1,
 *  "loadBalancer": {"listenHost": "0.0.0.0", "listenPort": 3949},
 *  "instances": [{"id": "m1", "role": "MASTER", "host": "127.0.0.1", "port": 3948, "dataDirectory": "data/m1"}],
 *  "routing": {"reads": {"strategy": "ROUND_ROBIN", "includeRoles": ["MASTER"]},
 *              "writes": {"mode": "MULTI_PRIMARY", "partition": "DB_OBJECT", "hash": "RENDEZVOUS"}},
 *  "replication": {"type": "FILE", "intervalSeconds": 2, "mode": "sync"}}
 * </pre>
 * Unknown fields are ignored; present fields must have the right type.
 */
public record ClusterConfig(Integer configVersion, LoadBalancer loadBalancer, List<Instance> instances,
        Routing routing, Replication replication) {

    public static final String PATH_PROPERTY = "dirk.configPath";
    public static final String PATH_ENV = "DIRK_CONFIG_PATH";
    public static final String INSTANCE_PROPERTY = "dirk.instanceId";
    public static final String INSTANCE_ENV = "DIRK_INSTANCE_ID";
    public static final String DEFAULT_FILE = "config.json";

    public enum InstanceRole { MASTER, REPLICA }

    public record LoadBalancer(String listenHost, Integer listenPort) {}

    public record Instance(String id, InstanceRole role, String host, Integer port, String dataDirectory) {}

    public record Routing(Reads reads, Writes writes) {}

    public record Reads(String strategy, List<String> includeRoles) {}

    public record Writes(String mode, String partition, String hash) {}

    /**
     * @param mode {@code async} or {@code sync}; when absent, a {@code type} of {@code async} or
     *             {@code sync} is taken as the mode (the original's {@code "FILE"} means async)
     */
    public record Replication(String type, Integer intervalSeconds, String mode) {
        /** The replication mode named here ({@code async} when none is). */
        public String modeName() {
            if (mode != null && !mode.isBlank()) {
                return mode;
            }
            if (type != null && (type.equalsIgnoreCase("sync") || type.equalsIgnoreCase("async"))) {
                return type;
            }
            return "async";
        }
    }

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** The instance named {@code id}. @throws ConfigException naming the file when there is none */
    public Instance instance(Path file, String id) {
        return instances.stream().filter(i -> i.id().equals(id)).findFirst()
                .orElseThrow(() -> new ConfigException(file + ": instances: no instance with id \"" + id + "\" (ids: "
                        + instances.stream().map(Instance::id).collect(Collectors.joining(", ")) + ")"));
    }

    /**
     * Where the configuration is: the flag, else {@code -Ddirk.configPath}, else {@code DIRK_CONFIG_PATH},
     * else {@code ./config.json} when it exists. Empty when none is given and there is no default file.
     */
    public static Optional<Path> locate(String flagValue, Map<String, String> environment) {
        String chosen = firstNonBlank(flagValue, System.getProperty(PATH_PROPERTY), environment.get(PATH_ENV));
        if (chosen != null) {
            return Optional.of(Path.of(chosen));
        }
        Path fallback = Path.of(DEFAULT_FILE);
        return Files.isRegularFile(fallback) ? Optional.of(fallback) : Optional.empty();
    }

    /** The instance id: the flag, else {@code -Ddirk.instanceId}, else {@code DIRK_INSTANCE_ID}; null when none. */
    public static String locateInstanceId(String flagValue, Map<String, String> environment) {
        return firstNonBlank(flagValue, System.getProperty(INSTANCE_PROPERTY), environment.get(INSTANCE_ENV));
    }

    /** Reads and checks {@code file}. @throws ConfigException with one line naming the file and the field */
    public static ClusterConfig load(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the file (" + e.getMessage() + ")");
        }
        ClusterConfig config;
        try {
            config = JSON.readValue(content, ClusterConfig.class);
        } catch (JsonMappingException e) {
            JsonParseException parseError = parseErrorIn(e);
            throw new ConfigException(file + ": " + (parseError != null ? malformed(parseError) : describe(e, content)));
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": " + malformed(e));
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the file (" + e.getMessage() + ")");
        }
        if (config == null) {
            throw new ConfigException(file + ": the file is empty or holds null");
        }
        config.validate(file);
        return config;
    }

    /** What an instance id may hold (the id a secondary gives in {@code dirk stream}, see LogFollower). */
    public static final java.util.regex.Pattern INSTANCE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._-]+");

    private void validate(Path file) {
        if (instances == null || instances.isEmpty()) {
            throw new ConfigException(file + ": instances: missing (at least one instance is needed)");
        }
        for (int i = 0; i < instances.size(); i++) {
            Instance instance = instances.get(i);
            String at = file + ": instances[" + i + "]";
            if (instance == null) {
                throw new ConfigException(at + ": expected an object, got null");
            }
            require(instance.id() != null && !instance.id().isBlank(), at + ".id: missing");
            // A secondary names itself in its replication stream only with such an id: with any other, its stream
            // would count as an outsider's, confirming no sync write and keeping no lease.
            require(INSTANCE_ID.matcher(instance.id()).matches(), at + ".id: \"" + instance.id() + "\" is not a valid "
                    + "instance id: use only letters A-Z and a-z, digits, '.', '_' and '-'");
            require(instance.role() != null, at + ".role: missing (MASTER or REPLICA)");
            require(instance.host() != null && !instance.host().isBlank(), at + ".host: missing");
            require(instance.port() != null, at + ".port: missing");
            require(instance.port() >= 0 && instance.port() <= 65535,
                    at + ".port: expected a port between 0 and 65535, got " + instance.port());
            for (int j = 0; j < i; j++) {
                require(!instances.get(j).id().equals(instance.id()),
                        at + ".id: \"" + instance.id() + "\" is already the id of instances[" + j + "]");
            }
        }
        if (replication != null) {
            String mode = replication.modeName();
            require(mode.equalsIgnoreCase("async") || mode.equalsIgnoreCase("sync"),
                    file + ": replication.mode: expected \"async\" or \"sync\", got \"" + mode + "\"");
        }
        if (loadBalancer != null && loadBalancer.listenPort() != null) {
            int port = loadBalancer.listenPort();
            require(port >= 0 && port <= 65535,
                    file + ": loadBalancer.listenPort: expected a port between 0 and 65535, got " + port);
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new ConfigException(message);
        }
    }

    /** "instances[1].port: expected a number, got \"abc\"" from a Jackson mapping error. */
    private static String describe(JsonMappingException e, byte[] content) {
        String path = path(e.getPath());
        String expected = e instanceof MismatchedInputException mismatch ? expectedType(mismatch.getTargetType()) : null;
        if (expected == null) {
            return (path.isEmpty() ? "" : path + ": ") + firstLine(e.getOriginalMessage());
        }
        String got = describeValue(valueAt(content, e.getPath()));
        return (path.isEmpty() ? "(top level)" : path) + ": expected " + expected + (got == null ? "" : ", got " + got);
    }

    /** The JSON value a mapping error points at: the file parsed (it is valid JSON) and walked along the path. */
    private static JsonNode valueAt(byte[] content, List<JsonMappingException.Reference> references) {
        try {
            JsonNode node = JSON.readTree(content);
            for (JsonMappingException.Reference reference : references) {
                node = reference.getIndex() >= 0 ? node.get(reference.getIndex()) : node.get(reference.getFieldName());
                if (node == null) {
                    return null;
                }
            }
            return node;
        } catch (IOException e) {
            return null;
        }
    }

    private static String describeValue(JsonNode value) {
        if (value == null) {
            return null;
        }
        if (value.isTextual()) {
            return quote(value.asText());
        }
        if (value.isObject()) {
            return "an object";
        }
        if (value.isArray()) {
            return "an array";
        }
        return value.toString(); // numbers, true, false, null
    }

    /** The parse error behind a mapping error, when the file is not valid JSON at all. */
    private static JsonParseException parseErrorIn(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof JsonParseException parse) {
                return parse;
            }
        }
        return null;
    }

    private static String malformed(JsonProcessingException e) {
        var where = e.getLocation();
        String at = where == null ? "" : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
        return "malformed JSON" + at + ": " + firstLine(e.getOriginalMessage());
    }

    private static String path(List<JsonMappingException.Reference> references) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference reference : references) {
            if (reference.getIndex() >= 0) {
                out.append('[').append(reference.getIndex()).append(']');
            } else if (reference.getFieldName() != null) {
                if (out.length() > 0) {
                    out.append('.');
                }
                out.append(reference.getFieldName());
            }
        }
        return out.toString();
    }

    private static String expectedType(Class<?> type) {
        if (type == null) {
            return null;
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants()).map(Object::toString)
                    .collect(Collectors.joining(", "));
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return "an object";
    }

    private static String quote(String text) {
        return "\"" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "\"";
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "invalid";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }
}
