using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EvidenceBot.Scripting;

/// <summary>
/// Roslyn scripts ignore their cancellation token, so a rule's time bound is enforced by a call to
/// <c>RuleCheckpoint.Check()</c> at the top of every loop body, method, local function, constructor, operator, accessor
/// and lambda, expression-bodied ones included (they become blocks); the same call stops unbounded recursion before the
/// stack overflows. The call is inserted on the line it guards, without new lines, so compiler diagnostics keep their
/// line numbers. Whether an expression-bodied lambda returns a value is asked of <paramref name="model"/> (the rule's
/// compilation before rewriting); without one, such lambdas are left as written.
/// </summary>
internal sealed class CheckpointInjector(SemanticModel? model = null) : CSharpSyntaxRewriter
{
    /// <summary>Bumped whenever injection changes: part of the compile cache key. 2: expression bodies, stack guard.</summary>
    public const string Version = "2";

    private readonly SemanticModel? _model = model;

    private const string CallText = "global::EvidenceBot.Rules.RuleCheckpoint.Check();";

    /// <summary>
    /// Benchmark hook: true compiles rules without checkpoints, so the <c>checkpoints</c> bench can time the same warm
    /// run with and without them. Visible to that bench and the tests only; no command sets it. The compile cache keys
    /// the two apart (<see cref="RuleCache.KeyFor"/>).
    /// </summary>
    internal static bool OffForBenchmark { get; set; }

    public static SyntaxTree Rewrite(SyntaxTree tree, SemanticModel? model = null)
    {
        if (OffForBenchmark)
            return tree;
        // A tree that does not parse will not compile: leave it as written, so its errors read as the author wrote it.
        if (tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
            return tree;
        var root = new CheckpointInjector(model).Visit(tree.GetRoot());
        return tree.WithRootAndOptions(root, tree.Options);
    }

    /// <summary><c>=> expr;</c> as <c>{ Check(); return expr; }</c> (or <c>expr;</c>, or <c>throw …;</c>) on the same lines.</summary>
    private static BlockSyntax Block(ArrowExpressionClauseSyntax arrow, SyntaxToken semicolon, bool returnsNothing)
    {
        var expression = arrow.Expression.WithoutLeadingTrivia().WithoutTrailingTrivia();
        StatementSyntax statement = expression switch
        {
            ThrowExpressionSyntax t => SyntaxFactory.ThrowStatement(
                SyntaxFactory.Token(SyntaxKind.ThrowKeyword).WithTrailingTrivia(SyntaxFactory.Space), t.Expression, SyntaxFactory.Token(SyntaxKind.SemicolonToken)),
            _ when returnsNothing => SyntaxFactory.ExpressionStatement(expression),
            _ => SyntaxFactory.ReturnStatement(SyntaxFactory.Token(SyntaxKind.ReturnKeyword).WithTrailingTrivia(SyntaxFactory.Space), expression, SyntaxFactory.Token(SyntaxKind.SemicolonToken)),
        };
        return SyntaxFactory.Block(
                SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithLeadingTrivia(arrow.ArrowToken.LeadingTrivia).WithTrailingTrivia(SyntaxFactory.Space),
                SyntaxFactory.List([Call(), statement.WithTrailingTrivia(SyntaxFactory.Space)]),
                SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithTrailingTrivia(semicolon.IsKind(SyntaxKind.None) ? arrow.GetTrailingTrivia() : semicolon.TrailingTrivia));
    }

    /// <summary>True for <c>void</c>, and for <c>async</c> members returning a non-generic <c>Task</c> or <c>ValueTask</c>.</summary>
    private static bool ReturnsNothing(TypeSyntax type, SyntaxTokenList modifiers) =>
        type is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword }
        || (modifiers.Any(SyntaxKind.AsyncKeyword) && Unqualified(type) is IdentifierNameSyntax { Identifier.ValueText: "Task" or "ValueTask" });

    private static SimpleNameSyntax? Unqualified(TypeSyntax type) => type switch
    {
        QualifiedNameSyntax q => q.Right,
        AliasQualifiedNameSyntax a => a.Name,
        SimpleNameSyntax n => n,
        _ => null,
    };

    private static StatementSyntax Call() =>
        SyntaxFactory.ParseStatement(CallText).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space);

    private static BlockSyntax Guard(BlockSyntax block) => block.WithStatements(block.Statements.Insert(0, Call()));

    private static StatementSyntax Guard(StatementSyntax body) => body switch
    {
        BlockSyntax b => Guard(b),
        // Keep the original statement's trivia outside the new braces so line numbers do not move.
        _ => SyntaxFactory.Block(
                SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithTrailingTrivia(SyntaxFactory.Space),
                SyntaxFactory.List([Call(), body.WithoutLeadingTrivia().WithoutTrailingTrivia()]),
                SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithLeadingTrivia(SyntaxFactory.Space))
            .WithLeadingTrivia(body.GetLeadingTrivia()).WithTrailingTrivia(body.GetTrailingTrivia()),
    };

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
    {
        var n = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
    {
        var n = (DoStatementSyntax)base.VisitDoStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
    {
        var n = (ForStatementSyntax)base.VisitForStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
    {
        var n = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
    {
        var n = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitLabeledStatement(LabeledStatementSyntax node)
    {
        // A backward goto is a loop too.
        var n = (LabeledStatementSyntax)base.VisitLabeledStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node)
    {
        var n = (MethodDeclarationSyntax)base.VisitMethodDeclaration(node)!;
        if (n.Body is not null)
            return n.WithBody(Guard(n.Body));
        return n.ExpressionBody is { } arrow
            ? n.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block(arrow, n.SemicolonToken, ReturnsNothing(n.ReturnType, n.Modifiers)))
            : n;
    }

    public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
    {
        var n = (LocalFunctionStatementSyntax)base.VisitLocalFunctionStatement(node)!;
        if (n.Body is not null)
            return n.WithBody(Guard(n.Body));
        return n.ExpressionBody is { } arrow
            ? n.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block(arrow, n.SemicolonToken, ReturnsNothing(n.ReturnType, n.Modifiers)))
            : n;
    }

    public override SyntaxNode? VisitConstructorDeclaration(ConstructorDeclarationSyntax node)
    {
        var n = (ConstructorDeclarationSyntax)base.VisitConstructorDeclaration(node)!;
        if (n.Body is not null)
            return n.WithBody(Guard(n.Body));
        return n.ExpressionBody is { } arrow
            ? n.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block(arrow, n.SemicolonToken, returnsNothing: true))
            : n;
    }

    public override SyntaxNode? VisitOperatorDeclaration(OperatorDeclarationSyntax node)
    {
        var n = (OperatorDeclarationSyntax)base.VisitOperatorDeclaration(node)!;
        if (n.Body is not null)
            return n.WithBody(Guard(n.Body));
        return n.ExpressionBody is { } arrow
            ? n.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block(arrow, n.SemicolonToken, returnsNothing: false))
            : n;
    }

    public override SyntaxNode? VisitConversionOperatorDeclaration(ConversionOperatorDeclarationSyntax node)
    {
        var n = (ConversionOperatorDeclarationSyntax)base.VisitConversionOperatorDeclaration(node)!;
        if (n.Body is not null)
            return n.WithBody(Guard(n.Body));
        return n.ExpressionBody is { } arrow
            ? n.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block(arrow, n.SemicolonToken, returnsNothing: false))
            : n;
    }

    public override SyntaxNode? VisitPropertyDeclaration(PropertyDeclarationSyntax node)
    {
        var n = (PropertyDeclarationSyntax)base.VisitPropertyDeclaration(node)!;
        return n.ExpressionBody is { } arrow
            ? n.WithExpressionBody(null).WithSemicolonToken(default).WithAccessorList(Getter(arrow, n.SemicolonToken))
            : n;
    }

    public override SyntaxNode? VisitIndexerDeclaration(IndexerDeclarationSyntax node)
    {
        var n = (IndexerDeclarationSyntax)base.VisitIndexerDeclaration(node)!;
        return n.ExpressionBody is { } arrow
            ? n.WithExpressionBody(null).WithSemicolonToken(default).WithAccessorList(Getter(arrow, n.SemicolonToken))
            : n;
    }

    /// <summary><c>T P => expr;</c> as <c>T P { get { Check(); return expr; } }</c> on the same lines.</summary>
    private static AccessorListSyntax Getter(ArrowExpressionClauseSyntax arrow, SyntaxToken semicolon)
    {
        var body = Block(arrow, semicolon, returnsNothing: false);
        var get = SyntaxFactory.AccessorDeclaration(SyntaxKind.GetAccessorDeclaration, body.WithLeadingTrivia(SyntaxFactory.Space).WithoutTrailingTrivia())
            .WithKeyword(SyntaxFactory.Token(SyntaxKind.GetKeyword));
        return SyntaxFactory.AccessorList(
            SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithLeadingTrivia(body.OpenBraceToken.LeadingTrivia).WithTrailingTrivia(SyntaxFactory.Space),
            SyntaxFactory.List([get]),
            SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(body.CloseBraceToken.TrailingTrivia));
    }

    public override SyntaxNode? VisitAccessorDeclaration(AccessorDeclarationSyntax node)
    {
        var n = (AccessorDeclarationSyntax)base.VisitAccessorDeclaration(node)!;
        if (n.Body is not null)
            return n.WithBody(Guard(n.Body));
        return n.ExpressionBody is { } arrow
            ? n.WithExpressionBody(null).WithSemicolonToken(default)
                .WithBody(Block(arrow, n.SemicolonToken, returnsNothing: !n.IsKind(SyntaxKind.GetAccessorDeclaration)))
            : n;
    }

    public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node)
    {
        var n = (ParenthesizedLambdaExpressionSyntax)base.VisitParenthesizedLambdaExpression(node)!;
        if (n.Block is not null)
            return n.WithBlock(Guard(n.Block));
        return n.ExpressionBody is { } e && LambdaReturnsNothing(node) is { } nothing
            ? n.WithExpressionBody(null).WithBlock(LambdaBlock(e, nothing))
            : n;
    }

    public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node)
    {
        var n = (SimpleLambdaExpressionSyntax)base.VisitSimpleLambdaExpression(node)!;
        if (n.Block is not null)
            return n.WithBlock(Guard(n.Block));
        return n.ExpressionBody is { } e && LambdaReturnsNothing(node) is { } nothing
            ? n.WithExpressionBody(null).WithBlock(LambdaBlock(e, nothing))
            : n;
    }

    /// <summary>
    /// Whether an expression-bodied lambda returns nothing, asked of the model; null when it cannot recurse (its body
    /// calls nothing), when there is no model, or when the model cannot tell: such a lambda is left as written.
    /// </summary>
    private bool? LambdaReturnsNothing(LambdaExpressionSyntax original)
    {
        if (_model is null || original.ExpressionBody is not { } body || !body.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any())
            return null;
        if (_model.GetSymbolInfo(original).Symbol is not IMethodSymbol method)
            return null;
        return method.ReturnsVoid || (method.IsAsync && method.ReturnType is INamedTypeSymbol { IsGenericType: false, Name: "Task" or "ValueTask" });
    }

    private static BlockSyntax LambdaBlock(ExpressionSyntax body, bool returnsNothing) =>
        Block(SyntaxFactory.ArrowExpressionClause(body).WithArrowToken(SyntaxFactory.Token(SyntaxKind.EqualsGreaterThanToken).WithLeadingTrivia(body.GetLeadingTrivia())),
            default, returnsNothing).WithTrailingTrivia(body.GetTrailingTrivia());

    public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node)
    {
        var n = (AnonymousMethodExpressionSyntax)base.VisitAnonymousMethodExpression(node)!;
        return n.WithBlock(Guard(n.Block));
    }
}
