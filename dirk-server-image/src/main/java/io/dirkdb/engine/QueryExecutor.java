package io.dirkdb.engine;

import io.dirkdb.DirkException;
import io.dirkdb.sql.Expression;
import io.dirkdb.sql.Query;
import io.dirkdb.sql.Query.SelectItem;
import io.dirkdb.sql.Query.Source;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs queries against one database: sources (tables, views, subqueries, joins), filters,
 * grouping, projection, {@code #fetra} and set operations. Called under the engine's read lock
 * (or its write lock, for the query inside an insert or a view check).
 *
 * <p>Groups come out sorted by their key (nulls first, then numbers, strings, dates), since the
 * language has no ORDER BY. A relation is named after its table for a single-table select,
 * after the leftmost source for a join, and after the left operand for a set operation.
 */
final class QueryExecutor {
    private static final int MAX_VIEW_DEPTH = 32;

    /** A column of an intermediate relation: the table or alias it came from, and its name. */
    record Col(String origin, String name) {}

    /** An intermediate relation. */
    record Rows(String name, List<Col> columns, List<Object[]> rows) {}

    /** A compiled expression: evaluates against one row of the relation it was compiled for. */
    interface Compiled {
        Object eval(Object[] row);
    }

    private final Database database;
    private final String missingDatabaseMessage;
    private final StatementBudget budget;
    /** Tables read as empty: checks names, columns and types without touching data (a view's definition). */
    private final boolean schemaOnly;
    private int viewDepth;

    /** {@code database} may be null; then any table reference fails with {@code missingDatabaseMessage}. */
    QueryExecutor(Database database, String missingDatabaseMessage, StatementBudget budget) {
        this(database, missingDatabaseMessage, budget, false);
    }

    private QueryExecutor(Database database, String missingDatabaseMessage, StatementBudget budget, boolean schemaOnly) {
        this.database = database;
        this.missingDatabaseMessage = missingDatabaseMessage;
        this.budget = budget;
        this.schemaOnly = schemaOnly;
    }

    /**
     * Checks that {@code query} is valid over the current schema (tables, views, columns, types)
     * without reading a row: every table is read as empty, so the cost does not depend on the data.
     */
    static void check(Database database, Query query) {
        new QueryExecutor(database, Messages.NO_DATABASE, StatementBudget.UNLIMITED, true).execute(query);
    }

    Rows execute(Query query) {
        if (query instanceof Query.Select select) {
            return select(select);
        }
        Query.SetOperation operation = (Query.SetOperation) query;
        Rows left = execute(operation.left());
        Rows right = execute(operation.right());
        if (left.columns().size() != right.columns().size()) {
            throw new DirkException("the two sides of " + setOperatorWord(operation.operator()) + " have "
                    + left.columns().size() + " and " + right.columns().size() + " columns");
        }
        Set<List<Object>> rightKeys = new HashSet<>();
        for (Object[] row : right.rows()) {
            rightKeys.add(rowKey(row));
        }
        Set<List<Object>> seen = new HashSet<>();
        List<Object[]> result = new ArrayList<>();
        for (Object[] row : left.rows()) {
            budget.row(row.length);
            List<Object> key = rowKey(row);
            boolean keep = switch (operation.operator()) {
                case UNION -> true;
                case EXCEPT -> !rightKeys.contains(key);
                case INTERSECT -> rightKeys.contains(key);
            };
            if (keep && seen.add(key)) {
                result.add(row);
            }
        }
        if (operation.operator() == Query.SetOperator.UNION) {
            for (Object[] row : right.rows()) {
                budget.row(row.length);
                if (seen.add(rowKey(row))) {
                    result.add(row);
                }
            }
        }
        return new Rows(left.name(), left.columns(), result);
    }

    private static String setOperatorWord(Query.SetOperator operator) {
        return switch (operator) {
            case UNION -> "#ankambana";
            case EXCEPT -> "#analana";
            case INTERSECT -> "#atifitra";
        };
    }

    private static List<Object> rowKey(Object[] row) {
        Object[] key = new Object[row.length];
        for (int i = 0; i < row.length; i++) {
            key[i] = Values.key(row[i]);
        }
        return Arrays.asList(key);
    }

    // ------------------------------------------------------------------ select

    private Rows select(Query.Select select) {
        Rows source;
        if (select.from() == null) {
            source = new Rows("", List.of(), List.<Object[]>of(new Object[0]));
        } else if (select.from() instanceof Source.Table tableSource && table(tableSource.name()) != null) {
            Table table = table(tableSource.name());
            String origin = tableSource.alias() != null ? tableSource.alias() : table.name;
            List<Col> columns = tableColumns(table, origin);
            List<Object[]> rows = schemaOnly ? new ArrayList<>() : candidateRows(table, origin, select.where());
            source = new Rows(table.name, columns, rows);
        } else {
            source = source(select.from());
        }

        List<Object[]> rows = source.rows();
        if (select.where() != null) {
            Compiled where = compile(select.where(), source.columns(), null);
            List<Object[]> kept = new ArrayList<>();
            for (Object[] row : rows) {
                budget.step();
                if (Boolean.TRUE.equals(Values.truth(where.eval(row)))) {
                    kept.add(row);
                }
            }
            rows = kept;
        }

        boolean grouped = !select.groupBy().isEmpty();
        for (SelectItem item : select.items()) {
            if (item instanceof SelectItem.Item expressionItem && expressionItem.expression().containsAggregate()) {
                grouped = true;
            }
        }
        Rows projected = grouped ? groupAndProject(select, source, rows) : project(select, source, rows);
        return limit(projected, select.limitStart(), select.limitEnd());
    }

    private static Rows limit(Rows rows, Long start, Long end) {
        if (start == null) {
            return rows;
        }
        int size = rows.rows().size();
        int from = (int) Math.min(Math.max(start, 0), size);
        int to = end == null ? size : (int) Math.min(Math.max(end, from), size);
        return new Rows(rows.name(), rows.columns(), rows.rows().subList(from, to));
    }

    private Rows project(Query.Select select, Rows source, List<Object[]> rows) {
        List<Col> columns = new ArrayList<>();
        List<Compiled> parts = new ArrayList<>();
        for (SelectItem item : select.items()) {
            if (item instanceof SelectItem.AllColumns all) {
                List<Integer> indexes = starColumns(all, source.columns());
                for (int index : indexes) {
                    columns.add(source.columns().get(index));
                    parts.add(row -> row[index]);
                }
            } else {
                SelectItem.Item expressionItem = (SelectItem.Item) item;
                columns.add(outputColumn(expressionItem, source.columns()));
                parts.add(compile(expressionItem.expression(), source.columns(), null));
            }
        }
        List<Object[]> out = new ArrayList<>(rows.size());
        Compiled[] compiled = parts.toArray(new Compiled[0]);
        for (Object[] row : rows) {
            Object[] projected = new Object[compiled.length];
            for (int i = 0; i < compiled.length; i++) {
                projected[i] = Values.stored(compiled[i].eval(row));
            }
            budget.projectedRow(projected);
            out.add(projected);
        }
        return new Rows(source.name(), columns, out);
    }

    private static List<Integer> starColumns(SelectItem.AllColumns all, List<Col> columns) {
        List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            if (all.qualifier() == null || all.qualifier().equals(columns.get(i).origin())) {
                indexes.add(i);
            }
        }
        if (indexes.isEmpty() && all.qualifier() != null) {
            throw new DirkException("'" + all.qualifier() + "' in " + all.qualifier() + ".* is not a source of this query");
        }
        return indexes;
    }

    private Col outputColumn(SelectItem.Item item, List<Col> columns) {
        String origin = "";
        if (item.expression() instanceof Expression.ColumnRef ref) {
            origin = columns.get(resolve(ref, columns)).origin();
        }
        return new Col(origin, item.alias() != null ? item.alias() : item.text());
    }

    private Rows groupAndProject(Query.Select select, Rows source, List<Object[]> rows) {
        List<Col> columns = source.columns();
        List<Compiled> keys = new ArrayList<>();
        for (Expression key : select.groupBy()) {
            if (key.containsAggregate()) {
                throw new DirkException("#vondrona cannot group by an aggregate");
            }
            keys.add(compile(key, columns, null));
        }
        // Aggregates get slots after the source columns, so items compile as plain row expressions.
        Map<Expression.Aggregate, Integer> slots = new LinkedHashMap<>();
        for (SelectItem item : select.items()) {
            if (item instanceof SelectItem.AllColumns) {
                throw new DirkException("* cannot be used with #vondrona or aggregates; list the columns");
            }
            collectAggregates(((SelectItem.Item) item).expression(), slots, columns.size());
        }
        List<Expression.Aggregate> aggregates = new ArrayList<>(slots.keySet());
        List<Compiled> arguments = new ArrayList<>();
        for (Expression.Aggregate aggregate : aggregates) {
            if (aggregate.argument() != null && aggregate.argument().containsAggregate()) {
                throw new DirkException("aggregates cannot be nested");
            }
            arguments.add(aggregate.argument() == null ? null : compile(aggregate.argument(), columns, null));
        }

        Map<List<Object>, Group> groups = new LinkedHashMap<>();
        for (Object[] row : rows) {
            budget.step();
            Object[] keyValues = new Object[keys.size()];
            for (int i = 0; i < keyValues.length; i++) {
                keyValues[i] = Values.key(Values.stored(keys.get(i).eval(row)));
            }
            Group group = groups.computeIfAbsent(Arrays.asList(keyValues), k -> new Group(row, aggregates));
            for (int i = 0; i < aggregates.size(); i++) {
                Compiled argument = arguments.get(i);
                group.accumulators[i].add(argument == null ? Boolean.TRUE : Values.stored(argument.eval(row)));
            }
        }
        if (groups.isEmpty() && select.groupBy().isEmpty()) {
            groups.put(List.of(), new Group(new Object[columns.size()], aggregates));
        }
        List<Group> ordered = new ArrayList<>();
        if (select.groupBy().isEmpty()) {
            ordered.addAll(groups.values());
        } else {
            TreeMap<List<Object>, Group> sorted = new TreeMap<>(Values.KEY_ORDER);
            sorted.putAll(groups);
            ordered.addAll(sorted.values());
        }

        List<Col> extended = new ArrayList<>(columns);
        for (Expression.Aggregate aggregate : aggregates) {
            extended.add(new Col("", aggregate.toString()));
        }
        List<Col> outColumns = new ArrayList<>();
        List<Compiled> items = new ArrayList<>();
        for (SelectItem item : select.items()) {
            SelectItem.Item expressionItem = (SelectItem.Item) item;
            outColumns.add(outputColumn(expressionItem, columns));
            items.add(compile(expressionItem.expression(), extended, slots));
        }
        List<Object[]> out = new ArrayList<>(ordered.size());
        for (Group group : ordered) {
            Object[] row = Arrays.copyOf(group.firstRow, extended.size());
            for (int i = 0; i < aggregates.size(); i++) {
                row[columns.size() + i] = group.accumulators[i].result();
            }
            Object[] projected = new Object[items.size()];
            for (int i = 0; i < projected.length; i++) {
                projected[i] = Values.stored(items.get(i).eval(row));
            }
            budget.projectedRow(projected);
            out.add(projected);
        }
        return new Rows(source.name(), outColumns, out);
    }

    private static void collectAggregates(Expression expression, Map<Expression.Aggregate, Integer> slots, int base) {
        if (expression instanceof Expression.Aggregate aggregate) {
            slots.putIfAbsent(aggregate, base + slots.size());
        } else if (expression instanceof Expression.Negate e) {
            collectAggregates(e.operand(), slots, base);
        } else if (expression instanceof Expression.Not e) {
            collectAggregates(e.operand(), slots, base);
        } else if (expression instanceof Expression.Binary e) {
            collectAggregates(e.left(), slots, base);
            collectAggregates(e.right(), slots, base);
        } else if (expression instanceof Expression.IsNull e) {
            collectAggregates(e.operand(), slots, base);
        }
    }

    private static final class Group {
        final Object[] firstRow;
        final Accumulator[] accumulators;

        Group(Object[] firstRow, List<Expression.Aggregate> aggregates) {
            this.firstRow = firstRow;
            this.accumulators = new Accumulator[aggregates.size()];
            for (int i = 0; i < accumulators.length; i++) {
                accumulators[i] = new Accumulator(aggregates.get(i).function());
            }
        }
    }

    /** count counts non-null values; sum stays an integer while every value is; avg is a decimal. */
    private static final class Accumulator {
        private final Expression.AggregateFunction function;
        private long count;
        private long longSum;
        private double doubleSum;
        private boolean decimal;
        private Object extreme;

        Accumulator(Expression.AggregateFunction function) {
            this.function = function;
        }

        void add(Object value) {
            if (value == null) {
                return;
            }
            count++;
            switch (function) {
                case COUNT -> { }
                case SUM, AVG -> {
                    if (!(value instanceof Number number)) {
                        throw new DirkException(function.name().toLowerCase(java.util.Locale.ROOT) + " needs numbers, but found "
                                + Values.describe(value));
                    }
                    doubleSum += number.doubleValue();
                    if (value instanceof Long l && !decimal) {
                        try {
                            longSum = Math.addExact(longSum, l);
                        } catch (ArithmeticException e) {
                            decimal = true;
                        }
                    } else {
                        decimal = true;
                    }
                }
                case MIN -> {
                    if (extreme == null || Values.compare(value, extreme) < 0) {
                        extreme = value;
                    }
                }
                case MAX -> {
                    if (extreme == null || Values.compare(value, extreme) > 0) {
                        extreme = value;
                    }
                }
            }
        }

        Object result() {
            return switch (function) {
                case COUNT -> count;
                case SUM -> count == 0 ? null : decimal ? (Object) doubleSum : (Object) longSum;
                case AVG -> count == 0 ? null : (Object) (doubleSum / count);
                case MIN, MAX -> extreme;
            };
        }
    }

    // ------------------------------------------------------------------ sources

    Table table(String name) {
        if (database == null) {
            throw new DirkException(missingDatabaseMessage);
        }
        return database.tables.get(name);
    }

    String databaseName() {
        return database == null ? null : database.name;
    }

    static List<Col> tableColumns(Table table, String origin) {
        List<Col> columns = new ArrayList<>(table.columns.size());
        for (Table.Column column : table.columns) {
            columns.add(new Col(origin, column.name()));
        }
        return columns;
    }

    /**
     * The rows of {@code table} that may satisfy {@code where}, with their ids. When the condition
     * has a conjunct {@code column = constant} and the table is big, the equality index answers;
     * otherwise every row is a candidate. The caller still applies the whole condition.
     */
    Collection<Map.Entry<Long, Object[]>> candidates(Table table, String origin, Expression where) {
        Collection<Long> ids = indexedIds(table, origin, where);
        return ids == null ? table.rows.entrySet() // read only: callers iterate, under the engine's lock
                : table.rowsWithIds(ids);
    }

    /**
     * The rows of {@link #candidates}, without their ids: a scan of the whole table walks its rows and makes no
     * object per row (an entry with a boxed id for each would be most of a scan's garbage).
     */
    List<Object[]> candidateRows(Table table, String origin, Expression where) {
        Collection<Long> ids = indexedIds(table, origin, where);
        if (ids == null) {
            return new ArrayList<>(table.rows.values());
        }
        List<Map.Entry<Long, Object[]>> found = table.rowsWithIds(ids);
        List<Object[]> rows = new ArrayList<>(found.size());
        for (Map.Entry<Long, Object[]> entry : found) {
            rows.add(entry.getValue());
        }
        return rows;
    }

    /** The ids the equality index gives for a conjunct {@code column = constant} of {@code where}; null: scan all. */
    private Collection<Long> indexedIds(Table table, String origin, Expression where) {
        if (where != null && table.rows.size() >= Table.INDEX_THRESHOLD) {
            for (Expression conjunct : conjuncts(where, new ArrayList<>())) {
                if (!(conjunct instanceof Expression.Binary binary)
                        || binary.operator() != Expression.Operator.EQUAL) {
                    continue;
                }
                Expression.ColumnRef column = null;
                Object constant = null;
                if (binary.left() instanceof Expression.ColumnRef c && binary.right() instanceof Expression.Literal l) {
                    column = c;
                    constant = l.value();
                } else if (binary.right() instanceof Expression.ColumnRef c
                        && binary.left() instanceof Expression.Literal l) {
                    column = c;
                    constant = l.value();
                }
                if (column == null || constant == null
                        || (column.qualifier() != null && !column.qualifier().equals(origin))) {
                    continue;
                }
                int index = table.columnIndex(column.name());
                if (index < 0) {
                    continue;
                }
                Table.HashIndex hashIndex = table.index(index);
                if (hashIndex == null) {
                    break;
                }
                Collection<Long> ids = hashIndex.lookup(constant);
                if (constant instanceof String text && Values.tryParseDate(text) != null) {
                    // A date column holds LocalDate values, which '2026-11-27' equals.
                    Set<Long> both = new LinkedHashSet<>(ids);
                    both.addAll(hashIndex.lookup(Values.tryParseDate(text)));
                    ids = both;
                }
                return ids;
            }
        }
        return null;
    }

    private static List<Expression> conjuncts(Expression expression, List<Expression> into) {
        if (expression instanceof Expression.Binary binary && binary.operator() == Expression.Operator.AND) {
            conjuncts(binary.left(), into);
            conjuncts(binary.right(), into);
        } else {
            into.add(expression);
        }
        return into;
    }

    private Rows source(Source source) {
        if (source instanceof Source.Table tableSource) {
            Table table = table(tableSource.name());
            String origin = tableSource.alias() != null ? tableSource.alias() : tableSource.name();
            if (table != null) {
                return new Rows(table.name, tableColumns(table, origin),
                        schemaOnly ? new ArrayList<>() : new ArrayList<>(table.rows.values()));
            }
            Database.View view = database.views.get(tableSource.name());
            if (view == null) {
                throw new DirkException(Messages.tableMissing(tableSource.name(), database.name));
            }
            if (++viewDepth > MAX_VIEW_DEPTH) {
                throw new DirkException("view '" + view.name() + "' refers to itself through other views");
            }
            try {
                Rows rows = execute(view.query());
                return new Rows(view.name(), reorigin(rows.columns(), origin), rows.rows());
            } finally {
                viewDepth--;
            }
        }
        if (source instanceof Source.Subquery subquery) {
            Rows rows = execute(subquery.query());
            return new Rows(subquery.alias(), reorigin(rows.columns(), subquery.alias()), rows.rows());
        }
        return join((Source.Join) source);
    }

    private static List<Col> reorigin(List<Col> columns, String origin) {
        List<Col> renamed = new ArrayList<>(columns.size());
        for (Col column : columns) {
            renamed.add(new Col(origin, column.name()));
        }
        return renamed;
    }

    private Rows join(Source.Join join) {
        Rows left = source(join.left());
        Rows right = source(join.right());
        int leftWidth = left.columns().size();
        int rightWidth = right.columns().size();
        List<Object[]> out = new ArrayList<>();

        if (join.kind() == Query.JoinKind.NATURAL) {
            List<int[]> common = new ArrayList<>();
            Set<Integer> rightCommon = new HashSet<>();
            for (int r = 0; r < rightWidth; r++) {
                for (int l = 0; l < leftWidth; l++) {
                    if (left.columns().get(l).name().equals(right.columns().get(r).name())) {
                        common.add(new int[] {l, r});
                        rightCommon.add(r);
                        break;
                    }
                }
            }
            List<Col> columns = new ArrayList<>(left.columns());
            List<Integer> rightKept = new ArrayList<>();
            for (int r = 0; r < rightWidth; r++) {
                if (!rightCommon.contains(r)) {
                    columns.add(right.columns().get(r));
                    rightKept.add(r);
                }
            }
            for (Object[] l : left.rows()) {
                for (Object[] r : right.rows()) {
                    budget.step();
                    boolean match = true;
                    for (int[] pair : common) {
                        Object a = l[pair[0]];
                        Object b = r[pair[1]];
                        if (a == null || b == null || !Values.equal(a, b)) {
                            match = false;
                            break;
                        }
                    }
                    if (match) {
                        Object[] row = Arrays.copyOf(l, columns.size());
                        for (int k = 0; k < rightKept.size(); k++) {
                            row[leftWidth + k] = r[rightKept.get(k)];
                        }
                        budget.row(row.length);
                        out.add(row);
                    }
                }
            }
            return new Rows(left.name(), columns, out);
        }

        List<Col> columns = new ArrayList<>(left.columns());
        columns.addAll(right.columns());
        Compiled condition = join.condition() == null ? null : compile(join.condition(), columns, null);
        boolean[] rightMatched = new boolean[right.rows().size()];
        int[] equiJoin = join.condition() == null ? null : equiJoinColumns(join.condition(), columns, leftWidth);
        Map<Object, List<Integer>> rightByKey = null;
        if (equiJoin != null) {
            // An equality between a left and a right column: probe a hash of the right rows
            // instead of trying every pair; the whole condition is still checked on each pair.
            rightByKey = new java.util.HashMap<>();
            for (int j = 0; j < right.rows().size(); j++) {
                Object value = right.rows().get(j)[equiJoin[1] - leftWidth];
                if (value != null) {
                    rightByKey.computeIfAbsent(joinKey(value), k -> new ArrayList<>()).add(j);
                }
            }
        }
        List<Integer> everyRight = new java.util.AbstractList<>() {
            @Override
            public Integer get(int index) {
                return index;
            }

            @Override
            public int size() {
                return right.rows().size();
            }
        };
        for (Object[] l : left.rows()) {
            boolean matched = false;
            List<Integer> partners = everyRight;
            if (rightByKey != null) {
                Object value = l[equiJoin[0]];
                partners = value == null ? List.of() : rightByKey.getOrDefault(joinKey(value), List.of());
            }
            for (int j : partners) {
                budget.step();
                Object[] row = concat(l, right.rows().get(j), leftWidth, rightWidth);
                if (condition == null || Boolean.TRUE.equals(Values.truth(condition.eval(row)))) {
                    budget.row(row.length);
                    out.add(row);
                    matched = true;
                    rightMatched[j] = true;
                }
            }
            if (!matched && (join.kind() == Query.JoinKind.LEFT || join.kind() == Query.JoinKind.FULL)) {
                budget.row(leftWidth + rightWidth);
                out.add(concat(l, null, leftWidth, rightWidth));
            }
        }
        if (join.kind() == Query.JoinKind.RIGHT || join.kind() == Query.JoinKind.FULL) {
            for (int j = 0; j < right.rows().size(); j++) {
                if (!rightMatched[j]) {
                    budget.row(leftWidth + rightWidth);
                    out.add(concat(null, right.rows().get(j), leftWidth, rightWidth));
                }
            }
        }
        return new Rows(left.name(), columns, out);
    }

    /** Equal values of any two kinds meet under the same key (a date and its ISO text too). */
    private static Object joinKey(Object value) {
        return value instanceof java.time.LocalDate date ? date.toString() : Values.key(value);
    }

    /**
     * The positions {left, right} of a {@code left.col = right.col} conjunct of the join
     * condition, or null when it has none.
     */
    private static int[] equiJoinColumns(Expression condition, List<Col> columns, int leftWidth) {
        for (Expression conjunct : conjuncts(condition, new ArrayList<>())) {
            if (conjunct instanceof Expression.Binary binary && binary.operator() == Expression.Operator.EQUAL
                    && binary.left() instanceof Expression.ColumnRef a && binary.right() instanceof Expression.ColumnRef b) {
                int i = resolve(a, columns);
                int j = resolve(b, columns);
                if (i < leftWidth && j >= leftWidth) {
                    return new int[] {i, j};
                }
                if (j < leftWidth && i >= leftWidth) {
                    return new int[] {j, i};
                }
            }
        }
        return null;
    }

    private static Object[] concat(Object[] left, Object[] right, int leftWidth, int rightWidth) {
        Object[] row = new Object[leftWidth + rightWidth];
        if (left != null) {
            System.arraycopy(left, 0, row, 0, leftWidth);
        }
        if (right != null) {
            System.arraycopy(right, 0, row, leftWidth, rightWidth);
        }
        return row;
    }

    // ------------------------------------------------------------------ expressions

    /**
     * Compiles an expression against the columns of a relation. {@code aggregateSlots} maps each
     * aggregate to the row position holding its value; null where aggregates are not allowed.
     */
    static Compiled compile(Expression expression, List<Col> columns, Map<Expression.Aggregate, Integer> aggregateSlots) {
        if (expression instanceof Expression.Literal literal) {
            Object value = literal.value();
            return row -> value;
        }
        if (expression instanceof Expression.ColumnRef ref) {
            int index = resolve(ref, columns);
            return row -> row[index];
        }
        if (expression instanceof Expression.Negate negate) {
            Compiled operand = compile(negate.operand(), columns, aggregateSlots);
            return row -> Values.negate(operand.eval(row));
        }
        if (expression instanceof Expression.Not not) {
            Compiled operand = compile(not.operand(), columns, aggregateSlots);
            return row -> {
                Boolean value = Values.truth(operand.eval(row));
                return value == null ? null : !value;
            };
        }
        if (expression instanceof Expression.IsNull isNull) {
            Compiled operand = compile(isNull.operand(), columns, aggregateSlots);
            boolean negated = isNull.negated();
            return row -> (operand.eval(row) == null) != negated;
        }
        if (expression instanceof Expression.Aggregate aggregate) {
            Integer slot = aggregateSlots == null ? null : aggregateSlots.get(aggregate);
            if (slot == null) {
                throw new DirkException("aggregates (count, sum, avg, min, max) are only allowed in the alaivo list");
            }
            return row -> row[slot];
        }
        Expression.Binary binary = (Expression.Binary) expression;
        Compiled left = compile(binary.left(), columns, aggregateSlots);
        Compiled right = compile(binary.right(), columns, aggregateSlots);
        Expression.Operator operator = binary.operator();
        switch (operator) {
            case AND:
                return row -> {
                    Boolean a = Values.truth(left.eval(row));
                    if (Boolean.FALSE.equals(a)) {
                        return false;
                    }
                    Boolean b = Values.truth(right.eval(row));
                    if (Boolean.FALSE.equals(b)) {
                        return false;
                    }
                    return a == null || b == null ? null : true;
                };
            case OR:
                return row -> {
                    Boolean a = Values.truth(left.eval(row));
                    if (Boolean.TRUE.equals(a)) {
                        return true;
                    }
                    Boolean b = Values.truth(right.eval(row));
                    if (Boolean.TRUE.equals(b)) {
                        return true;
                    }
                    return a == null || b == null ? null : false;
                };
            default:
                if (operator.isComparison()) {
                    return row -> Values.compareOp(operator, left.eval(row), right.eval(row));
                }
                return row -> Values.arithmetic(operator, left.eval(row), right.eval(row));
        }
    }

    static int resolve(Expression.ColumnRef ref, List<Col> columns) {
        int found = -1;
        for (int i = 0; i < columns.size(); i++) {
            Col column = columns.get(i);
            if (column.name().equals(ref.name()) && (ref.qualifier() == null || ref.qualifier().equals(column.origin()))) {
                if (found >= 0) {
                    throw new DirkException("column '" + ref.display() + "' is ambiguous; qualify it, e.g. "
                            + columns.get(found).origin() + "." + ref.name());
                }
                found = i;
            }
        }
        if (found < 0) {
            Set<String> origins = new LinkedHashSet<>();
            for (Col column : columns) {
                if (!column.origin().isEmpty()) {
                    origins.add(column.origin());
                }
            }
            throw new DirkException("column '" + ref.display() + "' does not exist"
                    + (origins.isEmpty() ? "" : " in " + String.join(", ", origins)));
        }
        return found;
    }
}
