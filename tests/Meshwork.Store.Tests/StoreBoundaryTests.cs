using System.Reflection;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store.Tests;

/// <summary>
/// The Store is the boundary to the database (docs/security.md, item 15): code outside it cannot
/// reach the EF context or a table's DbSet, only the Store's purpose-named services, matching what
/// the PostgreSQL roles allow each process.
/// </summary>
public sealed class StoreBoundaryTests
{
    [Fact]
    public void NoPublicTypeOfTheStore_IsOrExposesTheEfContextOrATable()
    {
        var leaks = typeof(StoreSession).Assembly.GetExportedTypes()
            .SelectMany(type => PublicSurface(type).Select(used => (type, used)))
            .Where(pair => IsEf(pair.used))
            .Select(pair => $"{pair.type.FullName} exposes {pair.used}")
            .ToList();

        Assert.False(typeof(MeshworkDbContext).IsPublic);
        Assert.Empty(leaks);
    }

    private static IEnumerable<Type> PublicSurface(Type type)
    {
        const BindingFlags visible = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.BaseType is { } baseType) yield return baseType;
        foreach (var constructor in type.GetConstructors(visible))
            foreach (var parameter in constructor.GetParameters()) yield return parameter.ParameterType;
        foreach (var method in type.GetMethods(visible))
        {
            yield return method.ReturnType;
            foreach (var parameter in method.GetParameters()) yield return parameter.ParameterType;
        }
        foreach (var property in type.GetProperties(visible)) yield return property.PropertyType;
        foreach (var field in type.GetFields(visible)) yield return field.FieldType;
    }

    private static bool IsEf(Type type) =>
        typeof(DbContext).IsAssignableFrom(type)
        || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(DbSet<>))
        || type.GenericTypeArguments.Any(IsEf)
        || (type.HasElementType && IsEf(type.GetElementType()!));
}
