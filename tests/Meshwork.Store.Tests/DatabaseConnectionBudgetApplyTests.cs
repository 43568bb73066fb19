using Meshwork.Store;
using Npgsql;

namespace Meshwork.Store.Tests;

public sealed class DatabaseConnectionBudgetApplyTests
{
    [Fact]
    public void AConnectionStringWithoutACap_GetsTheBudgetAndTheProcesssName()
    {
        var applied = new NpgsqlConnectionStringBuilder(DatabaseConnectionBudget.Apply("Host=db;Database=meshwork;Username=cp", 30, DatabaseConnectionBudget.PortalApplicationName));

        Assert.Equal(30, applied.MaxPoolSize);
        Assert.Equal("meshwork-portal", applied.ApplicationName);
        Assert.Equal("db", applied.Host);
    }

    [Theory]
    [InlineData("Host=db;Maximum Pool Size=12;Application Name=ops")]
    [InlineData("Host=db;maximum pool size=12;applicationname=ops")]
    [InlineData("Host=db;MaxPoolSize=12;ApplicationName=ops")]
    public void WhatTheOperatorSet_Wins(string connectionString)
    {
        var applied = new NpgsqlConnectionStringBuilder(DatabaseConnectionBudget.Apply(connectionString, 30, DatabaseConnectionBudget.ControlPlaneApplicationName));

        Assert.Equal(12, applied.MaxPoolSize);
        Assert.Equal("ops", applied.ApplicationName);
    }
}
