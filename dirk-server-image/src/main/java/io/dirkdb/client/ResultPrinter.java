package io.dirkdb.client;

import io.dirkdb.engine.Result;
import java.util.ArrayList;
import java.util.List;

/** Renders results as a person reads them: relations as aligned text tables with a row count. */
public final class ResultPrinter {
    private ResultPrinter() {}

    public static String render(Result result) {
        if (result instanceof Result.Message message) {
            return message.text() + "\n" + membersTable(message.text());
        }
        return renderTable((Result.Relation) result);
    }

    /**
     * A proxy's answer to {@code dirk heartbeat;} (its view of the cluster as JSON) is followed by the members as a
     * table, so a person sees who is primary at which epoch and how far each log reaches; empty for any other text.
     */
    static String membersTable(String text) {
        if (!text.startsWith("{\"role\":\"proxy\"")) {
            return "";
        }
        com.fasterxml.jackson.databind.JsonNode view;
        try {
            view = new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
        } catch (java.io.IOException e) {
            return "";
        }
        List<List<Object>> rows = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode member : view.path("members")) {
            rows.add(java.util.Arrays.asList(member.path("id").asText(), member.path("role").asText("?"),
                    member.has("epoch") ? member.path("epoch").asLong() : null,
                    member.has("lsn") ? member.path("lsn").asLong() : null, member.path("health").asText()));
        }
        List<Result.Column> columns = java.util.stream.Stream.of("member", "role", "epoch", "lsn", "health")
                .map(name -> new Result.Column(name, "")).toList();
        return renderTable(new Result.Relation("members", columns, rows));
    }

    static String renderTable(Result.Relation relation) {
        List<Result.Column> columns = relation.columns();
        int[] widths = new int[columns.size()];
        List<String[]> cells = new ArrayList<>(relation.rows().size());
        for (int c = 0; c < columns.size(); c++) {
            widths[c] = columns.get(c).name().length();
        }
        for (List<Object> row : relation.rows()) {
            String[] line = new String[columns.size()];
            for (int c = 0; c < columns.size(); c++) {
                Object value = c < row.size() ? row.get(c) : null;
                line[c] = value == null ? "null" : value.toString();
                widths[c] = Math.max(widths[c], line[c].length());
            }
            cells.add(line);
        }
        StringBuilder out = new StringBuilder();
        String rule = rule(widths);
        out.append(rule);
        out.append('|');
        for (int c = 0; c < columns.size(); c++) {
            out.append(' ').append(pad(columns.get(c).name(), widths[c], false)).append(" |");
        }
        out.append('\n').append(rule);
        for (int r = 0; r < cells.size(); r++) {
            List<Object> row = relation.rows().get(r);
            out.append('|');
            for (int c = 0; c < columns.size(); c++) {
                boolean number = c < row.size() && row.get(c) instanceof Number;
                out.append(' ').append(pad(cells.get(r)[c], widths[c], number)).append(" |");
            }
            out.append('\n');
        }
        if (!cells.isEmpty()) {
            out.append(rule);
        }
        int count = cells.size();
        out.append('(').append(count).append(count == 1 ? " row)" : " rows)").append('\n');
        return out.toString();
    }

    private static String rule(int[] widths) {
        StringBuilder line = new StringBuilder("+");
        for (int width : widths) {
            line.append("-".repeat(width + 2)).append('+');
        }
        return line.append('\n').toString();
    }

    private static String pad(String text, int width, boolean alignRight) {
        String spaces = " ".repeat(width - text.length());
        return alignRight ? spaces + text : text + spaces;
    }
}
