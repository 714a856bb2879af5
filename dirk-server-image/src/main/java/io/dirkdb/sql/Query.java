package io.dirkdb.sql;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A statement that yields rows: a single {@code alaivo} or a set operation between two queries. */
public sealed interface Query extends SqlStatement {

    @Override
    default StatementKind kind() {
        return StatementKind.READ;
    }

    @Override
    default Set<String> writtenTables() {
        return Set.of();
    }

    @Override
    default Set<String> readTables() {
        Set<String> names = new LinkedHashSet<>();
        collectTables(this, names);
        return Set.copyOf(names);
    }

    private static void collectTables(Query query, Set<String> names) {
        if (query instanceof Select select) {
            if (select.from() != null) {
                collectTables(select.from(), names);
            }
        } else if (query instanceof SetOperation operation) {
            collectTables(operation.left(), names);
            collectTables(operation.right(), names);
        }
    }

    private static void collectTables(Source source, Set<String> names) {
        if (source instanceof Source.Table table) {
            names.add(table.name());
        } else if (source instanceof Source.Subquery subquery) {
            collectTables(subquery.query(), names);
        } else if (source instanceof Source.Join join) {
            collectTables(join.left(), names);
            collectTables(join.right(), names);
        }
    }

    /**
     * {@code alaivo items [#ao@ from] [#rehefa where] [#vondrona groupBy] [#fetra from [to]]}.
     * {@code from} is null for a select without a source (one row); {@code limitStart} and
     * {@code limitEnd} are null when absent.
     */
    record Select(List<SelectItem> items, Source from, Expression where, List<Expression> groupBy,
                  Long limitStart, Long limitEnd) implements Query {
        public Select {
            items = List.copyOf(items);
            groupBy = List.copyOf(groupBy);
        }
    }

    /** UNION, EXCEPT or INTERSECT of two queries; all three remove duplicate rows. */
    record SetOperation(SetOperator operator, Query left, Query right) implements Query {}

    enum SetOperator {
        UNION, EXCEPT, INTERSECT
    }

    /** One entry of the select list. */
    sealed interface SelectItem {
        /** {@code *} or {@code t.*} ({@code qualifier} null for a bare star). */
        record AllColumns(String qualifier) implements SelectItem {}

        /**
         * An expression with its header: the alias when given, else the expression's source
         * text (a plain column keeps its own name).
         */
        record Item(Expression expression, String alias, String text) implements SelectItem {}
    }

    /** What a select reads from. */
    sealed interface Source {
        /** A table or view, with its alias (null when none). */
        record Table(String name, String alias) implements Source {}

        /** {@code ( alaivo ... ) alias}: the alias is required. */
        record Subquery(Query query, String alias) implements Source {}

        /** {@code left #tonona[:kind]@ right [#ka condition]}; condition null when absent. */
        record Join(Source left, JoinKind kind, Source right, Expression condition) implements Source {}
    }

    enum JoinKind {
        INNER, LEFT, RIGHT, FULL, NATURAL
    }
}
