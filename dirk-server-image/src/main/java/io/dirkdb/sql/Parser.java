package io.dirkdb.sql;

import io.dirkdb.DirkException;
import io.dirkdb.sql.Expression.AggregateFunction;
import io.dirkdb.sql.Expression.Operator;
import io.dirkdb.sql.Query.JoinKind;
import io.dirkdb.sql.Query.SelectItem;
import io.dirkdb.sql.Query.SetOperator;
import io.dirkdb.sql.Query.Source;
import io.dirkdb.sql.SqlStatement.ObjectKind;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the text of one request (without its closing {@code ;}) into a syntax tree.
 *
 * <p>A hand-written recursive-descent parser over the tokens of {@link Lexer}. Clause keywords
 * are accepted with or without their {@code #} ({@code #ao@}, {@code ao@}, {@code #ao},
 * {@code ao}); the precedence of conditions is {@code na} (OR) below {@code ary} (AND) below
 * {@code !} (NOT) below comparisons; set operations are left-associative with equal precedence.
 */
public final class Parser {
    /**
     * How deep expressions and queries may nest (parentheses, subqueries, {@code !}, unary minus, and
     * every operator of an arithmetic chain). Evaluation, replay and view expansion recurse over the
     * tree, so a statement past this could be accepted by one thread and overflow the stack of another
     * (a restart's replay, a secondary's follower): it is refused here instead.
     */
    public static final int MAX_NESTING = 200;

    private final String text;
    private final List<Token> tokens;
    private int position;
    /** Parser methods currently nested (the parser's own recursion). */
    private int depth;
    /** Height of every composite node built so far; leaves are not recorded and count as 1. */
    private final Map<Object, Integer> heights = new IdentityHashMap<>();

    private Parser(String text) {
        this.text = text;
        this.tokens = Lexer.tokenize(text);
    }

    /**
     * Parses one statement.
     *
     * @throws DirkException with a message for the user when the text is not valid DirkDB
     */
    public static Statement parse(String text) {
        Parser parser = new Parser(text);
        Statement statement = parser.statement();
        parser.acceptSymbol(";");
        if (parser.peek().type() != Token.Type.END) {
            throw parser.unexpected("the end of the statement");
        }
        return statement;
    }

    /** Parses a query (used to re-read a view's stored definition). */
    public static Query parseQuery(String text) {
        Statement statement = parse(text);
        if (statement instanceof Query query) {
            return query;
        }
        throw new DirkException("expected an alaivo query");
    }

    // ---------------------------------------------------------------- statements

    private Statement statement() {
        Token first = peek();
        if (first.type() == Token.Type.END) {
            throw new DirkException("empty statement");
        }
        if (first.isWord("dirk")) {
            return control();
        }
        if (startsQuery()) {
            return query();
        }
        String word = first.type() == Token.Type.WORD ? first.text().toLowerCase(Locale.ROOT) : "";
        return switch (word) {
            case "manamboara" -> create();
            case "ravao" -> drop();
            case "asehoy" -> show();
            case "ampiasao" -> {
                advance();
                yield new SqlStatement.Use(identifier("a database name"));
            }
            case "manampia" -> insert();
            case "havaozy" -> update();
            case "fafao" -> delete();
            default -> throw new DirkException("unknown statement starting with " + first.describe()
                    + "; expected " + StatementCatalog.either(StatementCatalog.firstWords()));
        };
    }

    private ControlStatement control() {
        expectWord("dirk");
        Token verb = advance();
        String word = verb.type() == Token.Type.WORD ? verb.text().toLowerCase(Locale.ROOT) : "";
        return switch (word) {
            case "heartbeat" -> new ControlStatement.Heartbeat(acceptWord("lease") ? integer("the primary's epoch") : -1);
            case "fence" -> {
                long epoch = acceptWord("epoch") ? integer("an epoch") : -1;
                yield new ControlStatement.Fence(epoch, acceptWord("hold"));
            }
            case "auth" -> new ControlStatement.Auth(string("a password"));
            case "promote" -> new ControlStatement.Promote(integer("an epoch"), historyClause());
            case "follow" -> {
                String hostName = hostName("dirk follow");
                int port = port();
                yield new ControlStatement.Follow(hostName, port, historyClause());
            }
            case "stream" -> {
                long fromLsn = integer("the last LSN the secondary holds");
                long epochAtFromLsn = integer("the epoch of that record");
                long knownEpoch = peek().type() == Token.Type.NUMBER ? integer("the highest epoch known") : epochAtFromLsn;
                if (fromLsn < 0 || epochAtFromLsn < 0 || knownEpoch < 0) {
                    throw new DirkException("dirk stream needs LSNs and epochs of 0 or more");
                }
                String history = historyClause();
                String memberId = null;
                if (acceptWord("member")) {
                    Token id = advance();
                    if (id.type() != Token.Type.STRING) {
                        throw new DirkException("expected an instance id in quotes after 'member' but found " + id.describe());
                    }
                    memberId = (String) id.value();
                }
                long protocol = acceptWord("protocol") ? integer("a stream protocol version") : 1;
                if (protocol < 1 || protocol > Integer.MAX_VALUE) {
                    throw new DirkException("dirk stream: protocol versions start at 1, got " + protocol);
                }
                yield new ControlStatement.Stream(fromLsn, epochAtFromLsn, knownEpoch, history, memberId, (int) protocol);
            }
            case "snapshot" -> new ControlStatement.Snapshot(acceptWord("deflate"));
            case "resync" -> {
                String hostName = hostName("dirk resync");
                int port = port();
                yield new ControlStatement.Resync(hostName, port, acceptWord("deflate"));
            }
            default -> throw new DirkException("unknown control request " + verb.describe()
                    + "; expected heartbeat, auth, promote, fence, follow, stream, snapshot or resync");
        };
    }

    /** {@code history 'id'} at the end of a control request, or null when absent. */
    private String historyClause() {
        if (!acceptWord("history")) {
            return null;
        }
        Token id = advance();
        if (id.type() != Token.Type.STRING) {
            throw new DirkException("expected a history id in quotes after 'history' but found " + id.describe());
        }
        return (String) id.value();
    }

    private String hostName(String after) {
        Token host = advance();
        if (host.type() != Token.Type.STRING && host.type() != Token.Type.WORD) {
            throw new DirkException("expected a host name after '" + after + "' but found " + host.describe());
        }
        return host.type() == Token.Type.STRING ? (String) host.value() : host.text();
    }

    private int port() {
        long port = integer("a port");
        if (port < 1 || port > 65535) {
            throw new DirkException("port " + port + " is not between 1 and 65535");
        }
        return (int) port;
    }

    private SqlStatement create() {
        expectWord("manamboara");
        ObjectKind kind = objectKind();
        String name = identifier("a " + kind.word + " name");
        // A switch expression over the enum: a new ObjectKind does not compile until its creation is parsed here.
        return switch (kind) {
            case DATABASE -> new SqlStatement.CreateDatabase(name);
            case TABLE -> {
                expectSymbol("(");
                List<SqlStatement.ColumnDefinition> columns = new ArrayList<>();
                do {
                    String column = identifier("a column name");
                    columns.add(new SqlStatement.ColumnDefinition(column, type()));
                } while (acceptSymbol(","));
                expectSymbol(")");
                yield new SqlStatement.CreateTable(name, columns);
            }
            case DOMAIN -> {
                expectSymbol("(");
                TypeSpec type = type();
                expectSymbol(")");
                yield new SqlStatement.CreateDomain(name, type);
            }
            case VIEW -> {
                if (!acceptSymbol("@")) {
                    acceptClause("antso");
                }
                int start = peek().start();
                Query query = query();
                String queryText = text.substring(start, previous().end());
                yield new SqlStatement.CreateView(name, query, queryText);
            }
        };
    }

    private SqlStatement drop() {
        expectWord("ravao");
        acceptWord("ny");
        ObjectKind kind = objectKind();
        return new SqlStatement.Drop(kind, identifier("a " + kind.word + " name"));
    }

    private SqlStatement show() {
        expectWord("asehoy");
        acceptWord("ny");
        return new SqlStatement.Show(objectKind());
    }

    private ObjectKind objectKind() {
        Token token = advance();
        for (ObjectKind kind : ObjectKind.values()) {
            if (token.isWord(kind.word)) {
                return kind;
            }
        }
        throw new DirkException("expected " + StatementCatalog.either(java.util.Arrays.stream(ObjectKind.values())
                .map(kind -> kind.word).toList()) + " but found " + token.describe());
    }

    private SqlStatement insert() {
        expectWord("manampia");
        if (acceptClause("ao")) {
            acceptSymbol("@");
        }
        String table = identifier("a table name");
        List<String> columns = new ArrayList<>();
        if (acceptSymbol("(")) {
            if (!acceptSymbol(")")) {
                do {
                    columns.add(identifier("a column name"));
                } while (acceptSymbol(","));
                expectSymbol(")");
            }
        }
        if (startsQuery()) {
            return new SqlStatement.Insert(table, columns, List.of(), query());
        }
        if (!acceptClause("sanda")) {
            throw unexpected("sanda or an alaivo query");
        }
        List<List<Expression>> rows = new ArrayList<>();
        do {
            expectSymbol("(");
            List<Expression> row = new ArrayList<>();
            do {
                row.add(expression());
            } while (acceptSymbol(","));
            expectSymbol(")");
            rows.add(row);
        } while (acceptSymbol(","));
        return new SqlStatement.Insert(table, columns, rows, null);
    }

    private SqlStatement update() {
        expectWord("havaozy");
        String table = identifier("a table name");
        if (!acceptClause("ova")) {
            throw unexpected("ova");
        }
        List<SqlStatement.Assignment> assignments = new ArrayList<>();
        do {
            String column = identifier("a column name");
            expectSymbol("=");
            assignments.add(new SqlStatement.Assignment(column, expression()));
        } while (acceptSymbol(","));
        Expression where = acceptClause("rehefa") ? expression() : null;
        return new SqlStatement.Update(table, assignments, where);
    }

    private SqlStatement delete() {
        expectWord("fafao");
        if (acceptClause("ao")) {
            acceptSymbol("@");
        }
        String table = identifier("a table name");
        Expression where = acceptClause("rehefa") ? expression() : null;
        return new SqlStatement.Delete(table, where);
    }

    // ---------------------------------------------------------------- types

    private TypeSpec type() {
        TypeSpec first = singleType();
        if (!peek().isSymbol(":")) {
            return first;
        }
        List<TypeSpec> members = new ArrayList<>();
        members.add(first);
        while (acceptSymbol(":")) {
            members.add(singleType());
        }
        return new TypeSpec.UnionType(members);
    }

    private TypeSpec singleType() {
        Token token = peek();
        if (token.isWord("isa")) {
            advance();
            Number min = null;
            Number max = null;
            if (acceptSymbol("(")) {
                min = bound();
                expectSymbol(",");
                max = bound();
                expectSymbol(")");
            }
            if (min != null && max != null && min.doubleValue() > max.doubleValue()) {
                throw new DirkException("ISA(" + min + "," + max + ") has its minimum above its maximum");
            }
            return new TypeSpec.NumberType(min, max);
        }
        if (token.isWord("lahatsoratra")) {
            advance();
            Long min = null;
            Long max = null;
            if (acceptSymbol("(")) {
                min = lengthBound();
                expectSymbol(",");
                max = lengthBound();
                expectSymbol(")");
            }
            if (min != null && max != null && min > max) {
                throw new DirkException("LAHATSORATRA(" + min + "," + max + ") has its minimum above its maximum");
            }
            return new TypeSpec.TextType(min, max);
        }
        if (token.isWord("daty")) {
            advance();
            return new TypeSpec.DateType();
        }
        if (token.isWord("tanisa")) {
            advance();
            expectSymbol("(");
            List<Object> values = new ArrayList<>();
            do {
                Expression value = unary();
                if (!(value instanceof Expression.Literal literal) || literal.value() == null) {
                    throw new DirkException("TANISA takes strings and numbers only");
                }
                values.add(literal.value());
            } while (acceptSymbol(","));
            expectSymbol(")");
            return new TypeSpec.EnumType(values);
        }
        return new TypeSpec.DomainType(identifier("a type (ISA, LAHATSORATRA, DATY, TANISA or a domain name)"));
    }

    private Number bound() {
        if (acceptWord("null")) {
            return null;
        }
        boolean negative = acceptSymbol("-");
        Token token = advance();
        if (token.type() != Token.Type.NUMBER) {
            throw new DirkException("expected a number or null as a bound but found " + token.describe());
        }
        Number value = (Number) token.value();
        if (!negative) {
            return value;
        }
        return value instanceof Long l ? (Number) (-l) : (Number) (-value.doubleValue());
    }

    private Long lengthBound() {
        if (acceptWord("null")) {
            return null;
        }
        Token token = advance();
        if (token.type() != Token.Type.NUMBER || !(token.value() instanceof Long)) {
            throw new DirkException("expected a whole number or null as a length bound but found " + token.describe());
        }
        return (Long) token.value();
    }

    // ---------------------------------------------------------------- queries

    private boolean startsQuery() {
        return startsQueryAt(position);
    }

    private boolean startsQueryAt(int index) {
        while (index < tokens.size() && tokens.get(index).isSymbol("(")) {
            index++;
        }
        return index < tokens.size() && tokens.get(index).isWord("alaivo");
    }

    private Query query() {
        enter();
        try {
            Query left = queryTerm();
            while (true) {
                SetOperator operator = setOperator();
                if (operator == null) {
                    return left;
                }
                Query right = queryTerm();
                left = built(new Query.SetOperation(operator, left, right), left, right);
            }
        } finally {
            depth--;
        }
    }

    private SetOperator setOperator() {
        if (acceptClause("ankambana") || acceptSymbol("+")) {
            return SetOperator.UNION;
        }
        if (acceptClause("analana") || acceptSymbol("-")) {
            return SetOperator.EXCEPT;
        }
        if (acceptClause("atifitra") || acceptSymbol("^")) {
            return SetOperator.INTERSECT;
        }
        return null;
    }

    private Query queryTerm() {
        if (acceptSymbol("(")) {
            Query inner = query();
            expectSymbol(")");
            return inner;
        }
        return select();
    }

    private Query.Select select() {
        expectWord("alaivo");
        List<SelectItem> items = new ArrayList<>();
        do {
            items.add(selectItem());
        } while (acceptSymbol(","));
        Source from = null;
        if (acceptClause("ao")) {
            acceptSymbol("@");
            from = source();
        }
        Expression where = acceptClause("rehefa") ? expression() : null;
        List<Expression> groupBy = new ArrayList<>();
        if (acceptClause("vondrona")) {
            boolean parenthesized = peek().isSymbol("(") && !startsQueryAt(position + 1) && groupListAhead();
            if (parenthesized) {
                expectSymbol("(");
            }
            do {
                groupBy.add(expression());
            } while (acceptSymbol(","));
            if (parenthesized) {
                expectSymbol(")");
            }
        }
        Long limitStart = null;
        Long limitEnd = null;
        if (acceptClause("fetra") || acceptClause("limit")) {
            limitStart = integer("the first row index of #fetra");
            if (peek().type() == Token.Type.NUMBER) {
                limitEnd = integer("the end row index of #fetra");
            }
        }
        List<Object> children = new ArrayList<>(groupBy);
        for (SelectItem item : items) {
            if (item instanceof SelectItem.Item expressionItem) {
                children.add(expressionItem.expression());
            }
        }
        children.add(from);
        children.add(where);
        return built(new Query.Select(items, from, where, groupBy, limitStart, limitEnd), children.toArray());
    }

    /** True when a {@code (} after {@code #vondrona} encloses a comma-separated list, not one expression. */
    private boolean groupListAhead() {
        int depth = 0;
        for (int i = position; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            if (token.isSymbol("(")) {
                depth++;
            } else if (token.isSymbol(")")) {
                depth--;
                if (depth == 0) {
                    return true;
                }
            } else if (token.type() == Token.Type.END) {
                return false;
            }
        }
        return false;
    }

    private SelectItem selectItem() {
        if (acceptSymbol("*")) {
            return new SelectItem.AllColumns(null);
        }
        Token first = peek();
        if (first.type() == Token.Type.WORD && !Lexer.isReserved(first.text())
                && peekAt(1).isSymbol(".") && peekAt(2).isSymbol("*")) {
            position += 3;
            return new SelectItem.AllColumns(first.text());
        }
        int start = first.start();
        Expression expression = expression();
        String source = text.substring(start, previous().end());
        String alias = alias();
        String header = expression instanceof Expression.ColumnRef column ? column.name() : source;
        return new SelectItem.Item(expression, alias, header);
    }

    /** {@code antso name} or a bare non-reserved word; null when there is no alias. */
    private String alias() {
        if (acceptClause("antso")) {
            return identifier("an alias after antso");
        }
        Token token = peek();
        if (token.type() == Token.Type.WORD && !Lexer.isReserved(token.text())) {
            advance();
            return token.text();
        }
        return null;
    }

    private Source source() {
        Source left = sourcePrimary();
        while (acceptClause("tonona")) {
            JoinKind kind = JoinKind.INNER;
            if (acceptSymbol(":")) {
                kind = joinKind();
            }
            acceptSymbol("@");
            Source right = sourcePrimary();
            Expression condition = acceptClause("ka") ? expression() : null;
            if (kind == JoinKind.NATURAL && condition != null) {
                throw new DirkException("a natural join (#tonona:natoraly) takes no #ka condition");
            }
            if ((kind == JoinKind.LEFT || kind == JoinKind.RIGHT || kind == JoinKind.FULL) && condition == null) {
                throw new DirkException("an outer join needs its condition: #ka <condition>");
            }
            left = built(new Source.Join(left, kind, right, condition), left, right, condition);
        }
        return left;
    }

    private JoinKind joinKind() {
        Token token = peek();
        if (token.type() != Token.Type.WORD) {
            return JoinKind.INNER;
        }
        JoinKind kind = switch (token.text().toLowerCase(Locale.ROOT)) {
            case "anatiny" -> JoinKind.INNER;
            case "avia", "ankavia" -> JoinKind.LEFT;
            case "avanana", "ankavanana" -> JoinKind.RIGHT;
            case "natoraly" -> JoinKind.NATURAL;
            case "feno" -> JoinKind.FULL;
            default -> null;
        };
        if (kind == null) {
            throw new DirkException("unknown join kind " + token.describe()
                    + "; expected anatiny, avia, ankavia, avanana, ankavanana, natoraly or feno");
        }
        advance();
        return kind;
    }

    private Source sourcePrimary() {
        if (peek().isSymbol("(") && startsQuery()) {
            advance();
            Query query = query();
            expectSymbol(")");
            String alias = alias();
            if (alias == null) {
                throw new DirkException("a subquery in #ao@ must have an alias, e.g. (alaivo ...) x");
            }
            return built(new Source.Subquery(query, alias), query);
        }
        String name = identifier("a table name");
        return new Source.Table(name, alias());
    }

    // ---------------------------------------------------------------- expressions

    private Expression expression() {
        enter();
        try {
            List<Expression> operands = new ArrayList<>();
            operands.add(conjunction());
            while (acceptClause("na")) {
                operands.add(conjunction());
            }
            return balanced(Operator.OR, operands, 0, operands.size());
        } finally {
            depth--;
        }
    }

    private Expression conjunction() {
        List<Expression> operands = new ArrayList<>();
        operands.add(negation());
        while (acceptClause("ary")) {
            operands.add(negation());
        }
        return balanced(Operator.AND, operands, 0, operands.size());
    }

    /**
     * A chain of {@code na} or {@code ary} as a balanced tree: both are associative (in three-valued
     * logic too), and a long list of alternatives, the dialect's way to say IN, stays shallow.
     */
    private Expression balanced(Operator operator, List<Expression> operands, int from, int to) {
        if (to - from == 1) {
            return operands.get(from);
        }
        int middle = (from + to) >>> 1;
        Expression left = balanced(operator, operands, from, middle);
        Expression right = balanced(operator, operands, middle, to);
        return built(new Expression.Binary(operator, left, right), left, right);
    }

    private Expression negation() {
        if (acceptSymbol("!")) {
            enter();
            try {
                Expression operand = negation();
                return built(new Expression.Not(operand), operand);
            } finally {
                depth--;
            }
        }
        return comparison();
    }

    private Expression comparison() {
        Expression left = additive();
        if (acceptWord("dia")) {
            boolean negated = acceptWord("tsy");
            expectWord("null");
            return built(new Expression.IsNull(left, negated), left);
        }
        Operator operator = switch (peek().type() == Token.Type.SYMBOL ? peek().text() : "") {
            case "=" -> Operator.EQUAL;
            case "!=" -> Operator.NOT_EQUAL;
            case "<" -> Operator.LESS;
            case "<=" -> Operator.LESS_OR_EQUAL;
            case ">" -> Operator.GREATER;
            case ">=" -> Operator.GREATER_OR_EQUAL;
            default -> null;
        };
        if (operator == null) {
            return left;
        }
        advance();
        Expression right = additive();
        return built(new Expression.Binary(operator, left, right), left, right);
    }

    private Expression additive() {
        Expression left = multiplicative();
        while (true) {
            Token token = peek();
            // A + or - followed by a query is a set operation (UNION / EXCEPT), not arithmetic.
            if ((token.isSymbol("+") || token.isSymbol("-")) && !startsQueryAt(position + 1)) {
                advance();
                Operator operator = token.isSymbol("+") ? Operator.ADD : Operator.SUBTRACT;
                Expression right = multiplicative();
                left = built(new Expression.Binary(operator, left, right), left, right);
            } else {
                return left;
            }
        }
    }

    private Expression multiplicative() {
        Expression left = unary();
        while (peek().isSymbol("*") || peek().isSymbol("/")) {
            Operator operator = advance().isSymbol("*") ? Operator.MULTIPLY : Operator.DIVIDE;
            Expression right = unary();
            left = built(new Expression.Binary(operator, left, right), left, right);
        }
        return left;
    }

    private Expression unary() {
        if (acceptSymbol("-")) {
            enter();
            Expression operand;
            try {
                operand = unary();
            } finally {
                depth--;
            }
            if (operand instanceof Expression.Literal literal && literal.value() instanceof Long l) {
                return new Expression.Literal(-l);
            }
            if (operand instanceof Expression.Literal literal && literal.value() instanceof Double d) {
                return new Expression.Literal(-d);
            }
            return built(new Expression.Negate(operand), operand);
        }
        return primary();
    }

    private Expression primary() {
        Token token = peek();
        switch (token.type()) {
            case NUMBER:
            case STRING:
                advance();
                return new Expression.Literal(token.value());
            case SYMBOL:
                if (token.isSymbol("(")) {
                    advance();
                    Expression inner = expression();
                    expectSymbol(")");
                    return inner;
                }
                throw unexpected("a value or a column");
            case WORD:
                if (token.isWord("null")) {
                    advance();
                    return new Expression.Literal(null);
                }
                if (peekAt(1).isSymbol("(")) {
                    AggregateFunction function = aggregateFunction(token.text());
                    if (function != null) {
                        position += 2;
                        Expression argument = null;
                        if (!acceptSymbol("*")) {
                            argument = expression();
                        } else if (function != AggregateFunction.COUNT) {
                            throw new DirkException(token.text() + "(*) is not allowed; only count(*)");
                        }
                        expectSymbol(")");
                        return built(new Expression.Aggregate(function, argument), argument);
                    }
                    throw new DirkException("unknown function '" + token.text() + "'; known: count, sum, avg, min, max");
                }
                String name = identifier("a column");
                if (acceptSymbol(".")) {
                    return new Expression.ColumnRef(name, identifier("a column name after '" + name + ".'"));
                }
                return new Expression.ColumnRef(null, name);
            default:
                throw unexpected("a value or a column");
        }
    }

    private static AggregateFunction aggregateFunction(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "count" -> AggregateFunction.COUNT;
            case "sum" -> AggregateFunction.SUM;
            case "avg" -> AggregateFunction.AVG;
            case "min" -> AggregateFunction.MIN;
            case "max" -> AggregateFunction.MAX;
            default -> null;
        };
    }

    // ---------------------------------------------------------------- nesting

    /** One level deeper in the parser's own recursion. */
    private void enter() {
        if (++depth > MAX_NESTING) {
            throw tooDeep();
        }
    }

    /** Records the height of a composite node from its children's (null children ignored). */
    private <T> T built(T node, Object... children) {
        int height = 0;
        for (Object child : children) {
            if (child != null) {
                height = Math.max(height, heights.getOrDefault(child, 1));
            }
        }
        if (height + 1 > MAX_NESTING) {
            throw tooDeep();
        }
        heights.put(node, height + 1);
        return node;
    }

    private static DirkException tooDeep() {
        return new DirkException("expression nested deeper than " + MAX_NESTING
                + " levels (parentheses, subqueries, operators in a chain); simplify the statement");
    }

    // ---------------------------------------------------------------- token helpers

    private Token peek() {
        return tokens.get(position);
    }

    private Token peekAt(int ahead) {
        return tokens.get(Math.min(position + ahead, tokens.size() - 1));
    }

    private Token previous() {
        return tokens.get(position - 1);
    }

    private Token advance() {
        Token token = tokens.get(position);
        if (token.type() != Token.Type.END) {
            position++;
        }
        return token;
    }

    private boolean acceptSymbol(String symbol) {
        if (peek().isSymbol(symbol)) {
            position++;
            return true;
        }
        return false;
    }

    private void expectSymbol(String symbol) {
        if (!acceptSymbol(symbol)) {
            throw unexpected("'" + symbol + "'");
        }
    }

    private boolean acceptWord(String word) {
        if (peek().isWord(word)) {
            position++;
            return true;
        }
        return false;
    }

    private void expectWord(String word) {
        if (!acceptWord(word)) {
            throw unexpected("'" + word + "'");
        }
    }

    /** A clause keyword, with or without its leading {@code #}. */
    private boolean acceptClause(String word) {
        if (peek().isSymbol("#") && peekAt(1).isWord(word)) {
            position += 2;
            return true;
        }
        return acceptWord(word);
    }

    private String identifier(String what) {
        Token token = peek();
        if (token.type() != Token.Type.WORD) {
            throw unexpected(what);
        }
        if (Lexer.isReserved(token.text())) {
            throw new DirkException("expected " + what + " but found the keyword '" + token.text() + "'");
        }
        advance();
        return token.text();
    }

    private String string(String what) {
        Token token = advance();
        if (token.type() != Token.Type.STRING) {
            throw new DirkException("expected " + what + " in quotes but found " + token.describe());
        }
        return (String) token.value();
    }

    private long integer(String what) {
        Token token = advance();
        if (token.type() != Token.Type.NUMBER || !(token.value() instanceof Long value)) {
            throw new DirkException("expected " + what + " (a whole number) but found " + token.describe());
        }
        return value;
    }

    private DirkException unexpected(String expected) {
        Token token = peek();
        return new DirkException("expected " + expected + " but found " + token.describe()
                + (token.type() == Token.Type.END ? "" : " at position " + (token.start() + 1)));
    }
}
