using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class BatchValidationTests
{
    [Fact]
    public void Accepts_BatchWhoseServicesAreInTheBatch()
    {
        var batch = Valid.All;
        Clean(ResourceValidator.ValidateAll(batch, ValidationContext.From(batch)));
    }

    [Fact]
    public void Rejects_DuplicateKeyInBatch() =>
        Single(ResourceValidator.ValidateAll([Valid.Reviews, Valid.Ratings, Valid.Reviews with { Port = 9090 }], ValidationContext.Empty),
            "[2].metadata.name", "duplicate Service 'default/reviews'; [0] has the same kind, namespace and name");

    [Fact]
    public void Accepts_SameNameInAnotherKindOrNamespace() =>
        Clean(ResourceValidator.ValidateAll(
            [Valid.Reviews, Valid.Reviews with { Metadata = new() { Name = "reviews", Namespace = "prod" } }, Valid.Route()], Valid.Context));

    [Fact]
    public void ValidateAll_PrefixesPathsWithIndex() =>
        Single(ResourceValidator.ValidateAll([Valid.Reviews, Valid.Ratings with { Port = 0 }], ValidationContext.Empty), "[1].port", "must be a port between 1 and 65535, was 0");

    [Fact]
    public void ValidateAll_NullEntry_ReportsIt() =>
        Single(ResourceValidator.ValidateAll([Valid.Reviews, null!], ValidationContext.Empty), "[1]", "a resource is required");

    [Fact]
    public void From_SkipsNullsAndNonServices()
    {
        var context = ValidationContext.From([Valid.Reviews, null!, Valid.Route()]);
        Assert.Equal([Valid.Reviews], context.Services);
        Assert.Same(Valid.Reviews, context.FindService("reviews", "default"));
        Assert.Null(context.FindService("reviews", "prod"));
    }
}
