using Meshwork.Store;
using Npgsql;

namespace Meshwork.Store.Tests;

public sealed class DatabaseConnectionBudgetApplyTests
{
    [Fact]
    public void AConnectionStringWithoutACap_GetsTheBudgetAndTheProcesssName()
    {
        var applied = new NpgsqlConnectionStringBuilder(DatabaseConnectionBudget.Apply("Host=db;Database=meshwork;Username=cp", 30, DatabaseConnectionBudget.Portal));

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
        var applied = new NpgsqlConnectionStringBuilder(DatabaseConnectionBudget.Apply(connectionString, 30, DatabaseConnectionBudget.ControlPlane));

        Assert.Equal(12, applied.MaxPoolSize);
        Assert.Equal("ops", applied.ApplicationName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Rejects_ACapBelowOne_NamingTheSetting(int cap)
    {
        var error = Assert.Throws<InvalidOperationException>(() => DatabaseConnectionBudget.Apply("Host=db", cap, DatabaseConnectionBudget.ControlPlane));

        Assert.Equal($"ControlPlane:DatabaseMaxConnections must be at least 1 (it is {cap}).", error.Message);
    }
}
