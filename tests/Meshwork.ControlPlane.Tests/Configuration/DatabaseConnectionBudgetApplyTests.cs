using Meshwork.ControlPlane.Configuration;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Configuration;

public sealed class DatabaseConnectionBudgetApplyTests
{
    [Fact]
    public void AConnectionStringWithoutACap_GetsTheBudgetAndTheControlPlanesName()
    {
        var applied = new NpgsqlConnectionStringBuilder(DatabaseConnectionBudget.Apply("Host=db;Database=meshwork;Username=cp", 30));

        Assert.Equal(30, applied.MaxPoolSize);
        Assert.Equal(DatabaseConnectionBudget.ApplicationName, applied.ApplicationName);
        Assert.Equal("db", applied.Host);
    }

    [Theory]
    [InlineData("Host=db;Maximum Pool Size=12;Application Name=ops")]
    [InlineData("Host=db;maximum pool size=12;applicationname=ops")]
    [InlineData("Host=db;MaxPoolSize=12;ApplicationName=ops")]
    public void WhatTheOperatorSet_Wins(string connectionString)
    {
        var applied = new NpgsqlConnectionStringBuilder(DatabaseConnectionBudget.Apply(connectionString, 30));

        Assert.Equal(12, applied.MaxPoolSize);
        Assert.Equal("ops", applied.ApplicationName);
    }
}
