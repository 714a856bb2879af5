package io.dirkdb.sql;

/** A value computed from literals and the columns of a row. */
public sealed interface Expression {

    /** A constant: null, {@link Long}, {@link Double} or {@link String}. */
    record Literal(Object value) implements Expression {}

    /** A column, optionally qualified by its table or alias ({@code qualifier} is then non-null). */
    record ColumnRef(String qualifier, String name) implements Expression {
        public String display() {
            return qualifier == null ? name : qualifier + "." + name;
        }
    }

    /** Unary minus. */
    record Negate(Expression operand) implements Expression {}

    /** {@code !} (NOT). */
    record Not(Expression operand) implements Expression {}

    record Binary(Operator operator, Expression left, Expression right) implements Expression {}

    /** {@code dia null} ({@code negated} false) or {@code dia tsy null} ({@code negated} true). */
    record IsNull(Expression operand, boolean negated) implements Expression {}

    /** An aggregate over the rows of a group; {@code argument} is null for {@code count(*)}. */
    record Aggregate(AggregateFunction function, Expression argument) implements Expression {}

    enum Operator {
        ADD("+"), SUBTRACT("-"), MULTIPLY("*"), DIVIDE("/"),
        EQUAL("="), NOT_EQUAL("!="), LESS("<"), LESS_OR_EQUAL("<="), GREATER(">"), GREATER_OR_EQUAL(">="),
        AND("ary"), OR("na");

        public final String symbol;

        Operator(String symbol) {
            this.symbol = symbol;
        }

        public boolean isComparison() {
            return ordinal() >= EQUAL.ordinal() && ordinal() <= GREATER_OR_EQUAL.ordinal();
        }
    }

    enum AggregateFunction {
        COUNT, SUM, AVG, MIN, MAX
    }

    /** True when this expression or one below it is an aggregate. */
    default boolean containsAggregate() {
        if (this instanceof Aggregate) {
            return true;
        } else if (this instanceof Negate e) {
            return e.operand().containsAggregate();
        } else if (this instanceof Not e) {
            return e.operand().containsAggregate();
        } else if (this instanceof Binary e) {
            return e.left().containsAggregate() || e.right().containsAggregate();
        } else if (this instanceof IsNull e) {
            return e.operand().containsAggregate();
        }
        return false;
    }
}
