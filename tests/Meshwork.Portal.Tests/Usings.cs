global using Meshwork.Portal.Tests.Infrastructure;
